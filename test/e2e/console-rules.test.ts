/**
 * The risk rule-set editor end to end (built server, demo seed, headless Chromium). Rule
 * sets need `risk:admin` to save, backtest and publish: of the staff roles only risk_analyst
 * (viewer + risk:*) and admin hold it (src/staff/roles.ts), so the analyst does the work and a
 * viewer sees the rules with no edit, backtest or publish controls. The analyst saves a new
 * version (a bad condition is refused first and the error is shown beside that field), runs a
 * backtest over the seeded week of events (charts drawn: painted canvas pixels), and publishes
 * it live. The ledger explorer lists the seeded open hold. Screenshots: console-rules-*.png.
 */
import { expect, it } from 'vitest';
import { describeE2E, screenshot, useServerAndBrowser } from './harness.js';
import { expectAllPainted, paintedPixels, signedIn } from './console-helpers.js';
import { staffLogin } from './console-staff.js';

/** The seed's pending hold: Alice → the merchant, a hotel deposit (src/cli/seed.ts, transfer 5). */
const SEEDED_HOLD_ACCOUNT = '0193a000-0000-7000-8000-000000000004';

describeE2E('console risk rule sets', () => {
  const e2e = useServerAndBrowser('console');

  it('lets a risk analyst save a new version, backtest it with charts, and publish it live', async () => {
    const analyst = staffLogin(e2e.server, 'risk_analyst');
    const page = await signedIn(e2e.browser, e2e.server, analyst.email, analyst.password);
    page.on('pageerror', (err) => console.error('[page error]', err.message));
    await page.locator('[data-nav="rules"]').click();
    await page.locator('a[data-rule-set="default"]').waitFor();
    await screenshot(page, 'console-rules-list');

    await page.locator('a[data-rule-set="default"]').click();
    await page.locator('a[data-version="1"]').click();
    await page.getByRole('heading', { name: /default v1/ }).waitFor();
    await expect(page.getByTestId('deployed-slots').textContent()).resolves.toBe('live');
    await page.getByTestId('edit-version').click();
    await page.getByTestId('rule-editor').waitFor();
    const rulesBefore = await page.locator('fieldset[data-rule-index]').count();
    expect(rulesBefore).toBeGreaterThan(3);

    // A new rule with a condition that does not compile: refused, the error beside its field.
    await page.getByTestId('add-rule').click();
    const added = page.locator(`fieldset[data-rule-index="${rulesBefore}"]`);
    await added.getByLabel('Rule ID').fill('large_night_payment');
    await added.getByLabel('When (condition)').fill("event.type == 'payment' and event.amount >=");
    await added.getByLabel('Outcome').selectOption('review');
    await added.getByLabel('Priority').fill('40');
    await added.getByLabel('Reason').fill('a large payment');
    await page.getByLabel('What changed (comment)').fill('e2e: review large payments');
    await page.getByTestId('save-version').click();
    const fieldError = page.locator(`[data-field-error="rules[${rulesBefore}].when"]`);
    await fieldError.waitFor();
    expect((await fieldError.textContent())!.length).toBeGreaterThan(5);
    await expect(added.getByLabel('When (condition)').getAttribute('aria-invalid')).resolves.toBe('true');
    // The summary above the form names the field and moves focus to it.
    await page.getByTestId('editor-errors').getByRole('button', { name: /large_night_payment/ }).click();
    await expect(added.getByLabel('When (condition)').evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement)).resolves.toBe(true);
    await screenshot(page, 'console-rules-edit-error');

    await added.getByLabel('When (condition)').fill("event.type == 'payment' and event.amount >= 500000");
    await page.getByTestId('save-version').click();
    await page.waitForURL(/#\/rules\/default\/v\/2$/);
    await page.getByRole('heading', { name: /default v2/ }).waitFor();
    await expect(page.locator('table code', { hasText: 'large_night_payment' }).count()).resolves.toBe(1);

    // Backtest v2 over the seeded week against what runs live (v1).
    await page.getByTestId('run-backtest').click();
    await page.getByTestId('backtest-results').waitFor({ timeout: 240_000 });
    const painted = await paintedPixels(page, '[data-testid="backtest-results"] [data-chart="true"]');
    expect(painted).toHaveLength(3);
    expectAllPainted(painted);
    const jobs = await e2e.server.api<{ data: { status: string; parameters: { rule_set: { id: string; version: number } | null } }[] }>('GET', '/v1/risk/backtests?limit=100');
    expect(jobs.body.data.filter((j) => j.parameters.rule_set?.version === 2 && j.status === 'done').length).toBeGreaterThanOrEqual(2);
    expect(jobs.body.data.some((j) => j.parameters.rule_set?.version === 1 && j.status === 'done')).toBe(true);
    await page.locator('#backtest').scrollIntoViewIfNeeded();
    await screenshot(page, 'console-rules-backtest');

    await page.getByLabel('Slot').selectOption('live');
    await page.getByTestId('publish').click();
    await page.getByTestId('publish-status').waitFor();
    await expect.poll(() => page.getByTestId('deployed-slots').textContent()).toBe('live');
    const deployments = await e2e.server.api<{ live: { rule_set_id: string; rule_set_version: number } }>('GET', '/v1/risk/deployments');
    expect(deployments.body.live).toMatchObject({ rule_set_id: 'default', rule_set_version: 2 });
    await screenshot(page, 'console-rules-published');
    await page.context().close();
  });

  it('shows a viewer the rules without edit, backtest or publish, and the ledger explorer lists open holds', async () => {
    const viewer = staffLogin(e2e.server, 'viewer');
    const page = await signedIn(e2e.browser, e2e.server, viewer.email, viewer.password);
    await page.locator('[data-nav="rules"]').click();
    await page.locator('a[data-rule-set="default"]').waitFor();
    await expect(page.getByTestId('new-rule-set').count()).resolves.toBe(0);
    await page.goto(`${e2e.server.url}/console/#/rules/default/v/1`);
    await page.getByRole('heading', { name: /default v1/ }).waitFor();
    await expect(page.getByTestId('edit-version').count()).resolves.toBe(0);
    await expect(page.getByTestId('publish').count()).resolves.toBe(0);
    await expect(page.getByTestId('run-backtest').count()).resolves.toBe(0);

    await page.locator('[data-nav="ledger"]').click();
    const hold = page.locator('a[data-hold]').first();
    await hold.waitFor();
    const holdId = (await hold.getAttribute('data-hold'))!;
    const stored = await e2e.server.api<{ credit_account_id: string; pending_state: string }>('GET', `/v1/transfers/${holdId}`);
    expect(stored.body).toMatchObject({ credit_account_id: SEEDED_HOLD_ACCOUNT, pending_state: 'pending' });
    await page.locator('#open-holds').scrollIntoViewIfNeeded();
    await screenshot(page, 'console-rules-ledger-holds');
    await page.context().close();
  });
});
