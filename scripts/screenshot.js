#!/usr/bin/env node
// Saves a PNG of the real VS Code workbench with a notebook open, for the README:
// starts the host of test/host/harness.ts (code-server + headless chromium), opens the notebook
// through Quick Open, waits for its outputs to render and takes the picture.
// Usage: node scripts/screenshot.js [notebook.ipynb] [out.png]
//   default notebook: test/fixtures/analysis.ipynb, default picture: media/screenshot-notebook.png
// Needs `node scripts/install-vscode-host.js` and a built extension (dist/extension.js).
'use strict';
require('tsx/cjs'); // lets this plain script load the TypeScript harness
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startHost } = require('../test/host/harness.ts');

const ROOT = path.resolve(__dirname, '..');

// Quick Open searches the workspace in the background: wait for the file's row before Enter, and
// try again if the editor does not show up.
async function openWithQuickOpen(page, name) {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Control+P');
      await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
      await page.keyboard.type(name, { delay: 20 });
      await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout: 15_000 });
      await page.keyboard.press('Enter');
      await page.waitForSelector('.notebook-editor .cell-list-container', { timeout: 20_000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
}

async function waitForOutputs(page, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const frame of page.frames()) {
      const n = await frame
        .evaluate("location.pathname.includes('/webview/') ? document.querySelectorAll('.output').length : 0")
        .catch(() => 0);
      if (n > 0) return page.waitForTimeout(1_500); // images decode a moment later
    }
    await page.waitForTimeout(250);
  }
  process.stderr.write('outputs did not render in time; taking the picture anyway\n');
}

async function main() {
  const notebook = path.resolve(process.argv[2] || path.join(ROOT, 'test', 'fixtures', 'analysis.ipynb'));
  const out = path.resolve(process.argv[3] || path.join(ROOT, 'media', 'screenshot-notebook.png'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-shot-'));
  fs.copyFileSync(notebook, path.join(workspace, path.basename(notebook)));

  const host = await startHost({ extensionPath: ROOT, workspace, viewport: { width: 1400, height: 1000 } });
  try {
    const page = host.page;
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await host.waitFor(/Launched Extension Host Process/, 60_000);
    await page.waitForTimeout(1_500); // let the workbench settle before typing
    await openWithQuickOpen(page, path.basename(notebook));
    // Outputs render in a webview (an iframe) some seconds after the cells.
    await waitForOutputs(page, 45_000);
    await page.mouse.move(800, 600);
    // The notebook list takes small wheel steps; SCREENSHOT_SCROLL=0 keeps the top.
    const steps = Math.round(Number(process.env.SCREENSHOT_SCROLL ?? 900) / 100);
    for (let i = 0; i < steps; i++) {
      await page.mouse.wheel(0, 100);
      await page.waitForTimeout(100);
    }
    await page.waitForTimeout(2_500);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    process.stderr.write(`saved ${path.relative(ROOT, out)}\n`);
  } finally {
    await host.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`screenshot failed: ${e.stack || e}\n`);
  process.exit(1);
});
