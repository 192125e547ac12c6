/** The accessibility check the e2e screenshots run: it finds what it should, and passes a page that has none. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeE2E, launchBrowser } from './harness.js';
import { accessibilityProblems } from './accessibility.js';

describeE2E('accessibility check', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reports unnamed controls, low contrast and a positive tabindex', async () => {
    await page.setContent(`<body style="background:#fff">
      <input id="a"><button></button><a href="#x" style="display:inline-block;width:24px;height:24px"></a>
      <p style="color:#aaa">grey on white is 2.3:1</p>
      <p style="color:#767676;font-size:14px">4.54:1 passes</p>
      <h1 style="color:#949494;font-size:24px">large text needs 3:1 only (3.03:1)</h1>
      <span tabindex="3">jumps the focus order</span>
      <div style="background:#000"><p style="color:rgba(255,255,255,0.3)">translucent white on black, 2.6:1</p></div>
    </body>`);
    const problems = await accessibilityProblems(page);
    expect(problems.map((p) => p.kind).sort()).toEqual(['low_contrast', 'low_contrast', 'positive_tabindex', 'unnamed_control', 'unnamed_control', 'unnamed_control']);
    expect(problems.filter((p) => p.kind === 'low_contrast').map((p) => p.element)).toEqual([expect.stringContaining('grey on white'), expect.stringContaining('translucent white')]);
  });

  it('passes labelled controls with enough contrast', async () => {
    await page.setContent(`<body style="background:#fff">
      <label for="a">Amount</label><input id="a">
      <label>Note <input name="note"></label>
      <button aria-label="Close">×</button><a href="#x">Home</a>
      <p style="color:#222">dark text</p>
      <div style="background:#0b5d3b"><p style="color:#fff">white on green</p></div>
    </body>`);
    expect(await accessibilityProblems(page)).toEqual([]);
  });
});
