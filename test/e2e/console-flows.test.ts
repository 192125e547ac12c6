/**
 * The operator console end to end (built server, demo seed, headless Chromium): a risk
 * analyst works a review case from the seeded risk history; a viewer has no write actions
 * and the API refuses one; the data-operations dashboard and scorecard draw; screenshots of
 * the main screens go to docs/screenshots/console-*.png.
 */
import { expect, it } from 'vitest';
import { describeE2E, newContext, screenshot, useServerAndBrowser } from './harness.js';
import { expectAllPainted, paintedPixels, sessionToken, signedIn } from './console-helpers.js';
import { staffLogin } from './console-staff.js';

const ALICE_ACCOUNT = '0193a000-0000-7000-8000-000000000002';

describeE2E('operator console', () => {
  const e2e = useServerAndBrowser('console');

  it('shows a light sign-in screen, then a risk analyst approves a review case and it leaves the queue', async () => {
    const context = await newContext(e2e.browser, { width: 1280, height: 900 });
    const first = await context.newPage();
    const scripts: string[] = [];
    first.on('response', (r) => r.request().resourceType() === 'script' && scripts.push(r.url()));
    await first.goto(`${e2e.server.url}/console/`);
    await first.getByRole('heading', { name: 'Capillary console' }).waitFor();
    // The sign-in screen loads one script: no shell, no screens, no ECharts.
    expect(scripts.filter((u) => /\/console\/assets\/.*\.js$/.test(u))).toHaveLength(1);
    await screenshot(first, 'console-sign-in');
    await context.close();

    const analyst = await staffLogin(e2e.server, 'risk_analyst');
    const page = await signedIn(e2e.browser, e2e.server, analyst.email, analyst.password);
    await expect(page.getByTestId('staff-role').textContent()).resolves.toBe('Risk analyst');
    // Menu: what the role's scopes allow, nothing else.
    await expect(page.locator('[data-nav="risk"]').count()).resolves.toBe(1);
    await expect(page.locator('[data-nav="audit"]').count()).resolves.toBe(0);
    await expect(page.locator('[data-nav="openbanking"]').count()).resolves.toBe(0);

    await page.locator('[data-nav="risk"]').click();
    const firstCase = page.locator('a[data-case]').first();
    await firstCase.waitFor();
    const caseId = (await firstCase.getAttribute('data-case'))!;
    await screenshot(page, 'console-risk-queue');

    await firstCase.click();
    await page.getByTestId('case-reasons').waitFor();
    await expect(page.getByTestId('case-reasons').locator('li').count()).resolves.toBeGreaterThan(0);
    // The graph neighbourhood of the case's customer, drawn by ECharts' graph series.
    expectAllPainted(await paintedPixels(page, '[data-testid="risk-graph"]'));
    await screenshot(page, 'console-risk-case');

    await page.getByLabel('Comment (optional)').fill('e2e: checked the device and the counterparty');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/#\/risk$/);
    await page.locator('a[data-case]').first().waitFor();
    await expect(page.locator(`a[data-case="${caseId}"]`).count()).resolves.toBe(0);

    const stored = await e2e.server.api<{ case: { status: string }; events: { action: string; actor: string; comment: string | null }[] }>('GET', `/v1/risk/cases/${caseId}`);
    expect(stored.body.case.status).toBe('approved');
    expect(stored.body.events.at(-1)).toMatchObject({ action: 'approved', comment: 'e2e: checked the device and the counterparty' });
    await page.context().close();
  });

  it('gives a viewer no write actions, and the API refuses one sent anyway', async () => {
    const viewer = await staffLogin(e2e.server, 'viewer');
    const page = await signedIn(e2e.browser, e2e.server, viewer.email, viewer.password);
    await expect(page.getByTestId('staff-role').textContent()).resolves.toBe('Viewer');
    await expect(page.locator('[data-nav="risk"]').count()).resolves.toBe(0);
    await expect(page.locator('[data-nav="audit"]').count()).resolves.toBe(0);

    await page.goto(`${e2e.server.url}/console/#/accounts/${ALICE_ACCOUNT}`);
    await page.getByRole('heading', { name: /Alice/ }).waitFor();
    await page.getByRole('heading', { name: 'Transfers' }).waitFor();
    await expect(page.getByRole('button', { name: 'Freeze' }).count()).resolves.toBe(0);
    await screenshot(page, 'console-account');

    // The menu only hides; the API decides. The viewer's own token, sent by hand, is refused.
    const token = await sessionToken(page);
    expect(token).toMatch(/^ss_/);
    const refused = await fetch(`${e2e.server.url}/v1/accounts/${ALICE_ACCOUNT}/freeze`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const status = refused.status;
    expect(status).toBe(403);
    const account = await e2e.server.api<{ status: string }>('GET', `/v1/accounts/${ALICE_ACCOUNT}`);
    expect(account.body.status).toBe('open');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Capillary console' }).waitFor();
    await expect(sessionToken(page)).resolves.toBeNull();
    await page.context().close();
  });

  it('draws the data-operations dashboard and the scorecard with every figure defined', async () => {
    const admin = await staffLogin(e2e.server, 'admin');
    const page = await signedIn(e2e.browser, e2e.server, admin.email, admin.password);
    await page.locator('[data-nav="dashboard"]').click();
    await page.getByTestId('figure-transactions').waitFor();
    const painted = await paintedPixels(page);
    expect(painted).toHaveLength(6);
    expectAllPainted(painted);
    expect(Number((await page.getByTestId('figure-transactions').locator('.figure-value').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    await screenshot(page, 'console-dashboard');

    await page.locator('[data-nav="scorecard"]').click();
    await page.locator('[data-section]').first().waitFor();
    const sections = await page.locator('[data-section]').evaluateAll((els) => els.map((e) => e.getAttribute('data-section')));
    expect(sections).toEqual(['customer_journey', 'data_operations', 'risk_control', 'infrastructure', 'delivery_efficiency']);
    const definitions = await page.locator('[data-figure] .definition').allTextContents();
    expect(definitions.length).toBeGreaterThanOrEqual(5);
    for (const d of definitions) expect(d.replace('Definition:', '').trim().length).toBeGreaterThan(10);
    await screenshot(page, 'console-scorecard');

    // The other main screens, for the docs.
    await page.locator('[data-nav="lending"]').click();
    await page.getByRole('heading', { name: 'Loan book' }).waitFor();
    await page.getByRole('table', { name: 'Applications' }).waitFor();
    await screenshot(page, 'console-lending');
    await page.locator('[data-nav="ledger"]').click();
    await page.getByRole('button', { name: 'Run the check' }).click();
    await expect(page.getByTestId('invariants-status').textContent()).resolves.toContain('All invariants hold');
    await screenshot(page, 'console-ledger');
    await page.locator('[data-nav="audit"]').click();
    await page.getByRole('table', { name: 'Audit log' }).waitFor();
    // The analyst's approval in the first test is in the log, with the case as its target.
    await page.getByText('/v1/risk/cases/:id/approve').first().waitFor();
    await screenshot(page, 'console-audit');
    await page.context().close();
  });
});
