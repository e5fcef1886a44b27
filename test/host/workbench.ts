// Driving VS Code's workbench page (Playwright, node side of the host tests): the command palette and
// quick picks, and reading the page without failing while it re-renders. One copy for every host
// test file that clicks through the UI.
import { until, type PwPage } from './harness';

export const QUICK_INPUT = '.quick-input-widget';

/** `js` evaluated in the workbench's main frame; `fallback` while the page is between renders. */
export function evaluate<T>(page: PwPage, js: string, fallback: T): Promise<T> {
  return page.frames()[0].evaluate<T>(js).catch(() => fallback);
}

/** The labels of the open quick pick's rows. */
export const quickPickRows = (page: PwPage): Promise<string[]> =>
  evaluate(page, `[...document.querySelectorAll('${QUICK_INPUT} .monaco-list-row')].map((r) => r.getAttribute('aria-label') || r.textContent || '')`, [] as string[]);

/** Waits for a quick-pick row matching `re`, clicks it, and returns its label (the rows seen, on a time-out). */
export async function choose(page: PwPage, re: RegExp, timeoutMs = 90_000): Promise<string> {
  const label = await until(`a quick-pick row matching ${re}`, async () => (await quickPickRows(page)).find((l) => re.test(l)), timeoutMs).catch(async (e: Error) => {
    throw new Error(`${e.message}; rows: ${JSON.stringify(await quickPickRows(page))}`);
  });
  await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: re }).first().click({ timeout: 30_000 });
  return label;
}

/** Runs a command from the palette: types `typed`, then picks the row matching `title`. */
export async function palette(page: PwPage, title: RegExp, typed: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await page.waitForSelector(`${QUICK_INPUT} input`, { timeout: 30_000 });
  await page.keyboard.type(typed, { delay: 10 });
  await choose(page, title);
}
