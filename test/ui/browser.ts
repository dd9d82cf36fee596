/**
 * The operator's view in a real browser: Debian's Chromium, driven by playwright-core (no browser download), opens the
 * Temporal Web UI's workflow list filtered by a visibility query and must show a run; a screenshot goes to
 * artifacts/web-ui/ (git-ignored). CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { projectRoot } from '../../src/temporal/provision-cli';

const ARTIFACTS = join(projectRoot(), 'artifacts', 'web-ui');
/** Chromium's own background connections are refused on a closed network; these flags keep it quiet and headless. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Waits (up to 90 s) until the UI at `uiUrl` lists `text` for `query` in namespace default; the screenshot. The list
 * page is loaded again every 15 s: on a loaded machine the UI's first query can land before visibility has the run,
 * and the page does not always refresh by itself. When the run never shows, the error carries what the page did show
 * and a screenshot of it.
 */
export function findRunInWebUi(uiUrl: string, query: string, text: string, name = 'workflows-by-search-attribute') {
  const url = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  return findTextInWebUi(url, text, name, `list ${text} for ${query}`);
}

/** The page of one run (its input and result as the UI decodes them: through the codec endpoint when it has one). */
export function findOnRunPage(uiUrl: string, workflowId: string, runId: string, text: string, name: string) {
  const url = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
  return findTextInWebUi(url, text, name, `show ${text} on the page of ${workflowId}`);
}

async function findTextInWebUi(url: string, text: string, name: string, what: string) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, `${name}.png`);
    for (let attempt = 1; ; attempt++) {
      await page.goto(url);
      try {
        await page.getByText(text).first().waitFor({ timeout: 15_000 });
        break;
      } catch (error) {
        if (attempt < 6) continue;
        await page.screenshot({ path: screenshot, fullPage: true });
        const shown = (await page.locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 600);
        throw new Error(`the Web UI did not ${what} in 90 s (screenshot ${screenshot}); it showed: ${shown}`, {
          cause: error,
        });
      }
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    return screenshot;
  } finally {
    await browser.close();
  }
}
