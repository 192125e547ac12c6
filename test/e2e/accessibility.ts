/**
 * Accessibility checks the e2e tests run on the screens they visit (issue 8: labels, focus
 * order, contrast), computed in the page itself:
 *
 * - every visible form control has an accessible name (a <label for>, a wrapping label,
 *   aria-label or aria-labelledby), and every visible button or link has a name too;
 * - every visible text meets WCAG 2.2 contrast minimum (1.4.3): 4.5:1, or 3:1 for large text
 *   (24px, or 18.66px bold), against the first opaque background found up the tree;
 * - no positive tabindex (which would take elements out of the document's focus order).
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

/** The check itself, in plain JavaScript: it runs in the page, where the DOM is (this project's TypeScript has no DOM types). */
const CHECK = readFileSync(new URL('./accessibility-check.browser.js', import.meta.url), 'utf8');

export interface AccessibilityProblem {
  kind: 'unnamed_control' | 'low_contrast' | 'positive_tabindex';
  element: string;
  detail: string;
}

/** Problems on the current page; an empty list when there are none. */
export async function accessibilityProblems(page: Page): Promise<AccessibilityProblem[]> {
  return page.evaluate(CHECK) as Promise<AccessibilityProblem[]>;
}
