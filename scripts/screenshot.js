#!/usr/bin/env node
// Saves a PNG of the real VS Code workbench with a notebook open, for the README:
// starts the host of test/host/harness.ts (code-server + headless chromium), opens the notebook
// through Quick Open, waits for its outputs to render and takes the picture.
// Usage: node scripts/screenshot.js [notebook.ipynb] [out.png]
//   default notebook: test/fixtures/analysis.ipynb, default picture: media/screenshot-notebook.png
//        node scripts/screenshot.js --readme
//   the README's pictures of the extension at work (see readmeShots below):
//   media/screenshot-agent-edit.png and media/screenshot-status-bar.png
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

async function notebookShot() {
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

// ---- --readme: the extension at work, as a user sees it ------------------------------------------
//
// The extension is loaded as an installed one (copied into the extensions folder, so the window is
// not an "[Extension Development Host]"). A real Jupyter server (Debian's jupyter_server, when
// present) is configured in the workspace settings so the agent can run cells. Then a real MCP
// client, connected over HTTP with the URL and token the extension publishes to
// JUPYTER_MCP_PORT_FILE, does what an agent does: it reads the notebook, adds a markdown cell and a
// code cell after the data cell, and runs the whole notebook (its outputs appear in the editor).
// The client stays connected while the pictures are taken, so the status bar says "1 client".
// SCREENSHOT_JUPYTER=0: no Jupyter server, the agent only edits (the fixture's outputs are shown).

/** The files a .vsix would hold (see .vscodeignore), copied into a folder code-server loads as installed. */
function stageInstalledExtension(extensionsDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  for (const rel of ['package.json', 'README.md', 'LICENSE', 'media/icon.png', 'dist/extension.js', 'dist/runtime.js']) {
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(dest, rel));
  }
  return dest;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Debian's jupyter_server on a free port, no token (127.0.0.1 only), or undefined when absent. */
async function startJupyter(rootDir, base) {
  if (process.env.SCREENSHOT_JUPYTER === '0') return undefined;
  const python = '/usr/bin/python3';
  const { spawn, spawnSync } = require('child_process');
  if (spawnSync(python, ['-c', 'import jupyter_server, ipykernel']).status !== 0) {
    process.stderr.write('no jupyter_server/ipykernel for /usr/bin/python3: the agent only edits (npm run test installs them)\n');
    return undefined;
  }
  const { freePort } = require('../test/host/harness.ts');
  const port = await freePort();
  const env = { ...process.env };
  for (const d of ['JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'JUPYTER_RUNTIME_DIR', 'IPYTHONDIR', 'MPLCONFIGDIR']) {
    env[d] = path.join(base, d.toLowerCase());
    fs.mkdirSync(env[d], { recursive: true });
  }
  delete env.JUPYTER_TOKEN;
  const child = spawn(
    python,
    ['-m', 'jupyter_server', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', '--no-browser', '--allow-root', '--ServerApp.token=', '--ServerApp.password=', '--ServerApp.disable_check_xsrf=True', `--ServerApp.root_dir=${rootDir}`],
    { env, cwd: rootDir, detached: true, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/api/status`)).ok) return { url, stop };
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  stop();
  throw new Error('jupyter_server did not answer /api/status within 20 s');
}

async function waitForStatusBar(page, pattern, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < end) {
    text = await page.evaluate(`[...document.querySelectorAll('.statusbar-item')].map((e) => e.textContent).find((t) => /MCP /.test(t)) || ''`);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(250);
  }
  throw new Error(`status bar never matched ${pattern} (last: ${JSON.stringify(text)})`);
}

async function readmeShots() {
  const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const { waitForFile } = require('../test/host/harness.ts');
  const outDir = path.join(ROOT, 'media');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-shot-'));
  // The folder's name is what the Explorer and the window title show.
  const workspace = path.join(tmp, 'sales-report');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  const fixture = path.join(ROOT, 'test', 'fixtures', 'analysis.ipynb');
  fs.copyFileSync(fixture, path.join(workspace, 'analysis.ipynb'));
  const extensionsDir = path.join(tmp, 'extensions');
  stageInstalledExtension(extensionsDir);
  const portFile = path.join(tmp, 'mcp-port.json');

  let jupyter;
  let host;
  let client;
  try {
    jupyter = await startJupyter(workspace, path.join(tmp, 'jupyter'));
    const settings = { 'jupyterMcp.port': 0, 'files.exclude': { '.vscode': true } };
    if (jupyter) {
      settings['jupyterMcp.jupyterServerUrl'] = jupyter.url;
      // The agent runs the notebook itself: start from a copy without outputs ("Clear All Outputs").
      // (Kept outputs would also hit a bug: re-running a cell that yields exactly what is saved
      // fails with "VS Code did not apply the edit", see the report.)
      const nb = JSON.parse(fs.readFileSync(fixture, 'utf8'));
      for (const c of nb.cells) if (c.cell_type === 'code') Object.assign(c, { outputs: [], execution_count: null, metadata: {} });
      fs.writeFileSync(path.join(workspace, 'analysis.ipynb'), `${JSON.stringify(nb, null, 1)}\n`);
    }
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));

    host = await startHost({
      extensionPath: null,
      extensionsDir,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile },
      viewport: { width: 1280, height: 800 },
    });
    const page = host.page;
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    const published = JSON.parse(await waitForFile(portFile, 90_000));
    await page.waitForTimeout(1_500);
    await openWithQuickOpen(page, 'analysis.ipynb');
    if (!jupyter) await waitForOutputs(page, 45_000);

    // The agent.
    client = new Client({ name: 'readme-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(published.url), { requestInit: { headers: { Authorization: `Bearer ${published.token}` } } }));
    const call = async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
      return r.structuredContent;
    };
    // Edits must go through the editor: wait until the extension sees the notebook open (an edit
    // made to the file while VS Code is still opening it shows up in the editor only ~200 ms later).
    for (let i = 0; !(await call('list_notebooks', {})).notebooks.some((n) => n.path === 'analysis.ipynb' && n.open_in_editor); i++) {
      if (i > 100) throw new Error('the extension never saw analysis.ipynb open in the editor');
      await sleep(100);
    }
    await sleep(500);
    const outline = (await call('read_notebook', { path: 'analysis.ipynb', format: 'outline' })).outline;
    const dataCell = outline[2].id; // sales = rng.normal(...)
    const md = await call('add_cell', {
      path: 'analysis.ipynb',
      cell_type: 'markdown',
      after_cell_id: dataCell,
      source: '## Added by an agent\n\nBest and worst month of the year, computed from `sales`.',
    });
    const code = await call('add_cell', {
      path: 'analysis.ipynb',
      cell_type: 'code',
      after_cell_id: md.cell_id,
      source: "best, worst = sales.argmax() + 1, sales.argmin() + 1\nprint(f'best month: {best} ({sales.max()}), worst month: {worst} ({sales.min()})')",
    });
    if (jupyter) {
      // Runs every cell in the notebook's kernel (outputs land in the editor); ratio(1, 0) fails on purpose.
      const run = await call('execute_notebook', { path: 'analysis.ipynb', continue_on_error: true, timeout: 120 });
      process.stderr.write(`execute_notebook: ${run.message}\n`);
      await waitForOutputs(page, 45_000);
    }
    await waitForStatusBar(page, jupyter ? /· 1 client · 1 kernel idle/ : /· 1 client ·/, 30_000);

    // (a) The notebook with the agent's cells in view. The notebook scrolls in small wheel steps.
    await page.mouse.move(800, 450);
    for (let i = 0; i < Number(process.env.SCREENSHOT_SCROLL ?? 600) / 100; i++) {
      await page.mouse.wheel(0, 100);
      await page.waitForTimeout(100);
    }
    await page.mouse.move(24, 500); // on the empty activity bar: no hover toolbars in the picture
    await page.waitForTimeout(2_500);
    const agentShot = path.join(outDir, 'screenshot-agent-edit.png');
    await page.screenshot({ path: agentShot });
    process.stderr.write(`saved ${path.relative(ROOT, agentShot)}\n`);

    // (b) The status bar item and its tooltip, cropped.
    const item = page.locator('.statusbar-item', { hasText: 'MCP :' }).first();
    await item.hover();
    const hover = '.monaco-hover:not(.hidden)';
    await page.waitForSelector(hover, { timeout: 10_000 });
    await page.waitForTimeout(800);
    const itemBox = await item.boundingBox();
    const hoverBox = await page.locator(hover).first().boundingBox();
    const vp = { width: 1280, height: 800 };
    const pad = 16;
    const left = Math.max(0, Math.min(itemBox.x, hoverBox ? hoverBox.x : itemBox.x) - pad);
    const top = Math.max(0, Math.min(itemBox.y, hoverBox ? hoverBox.y : itemBox.y) - pad);
    const right = Math.min(vp.width, Math.max(itemBox.x + itemBox.width, hoverBox ? hoverBox.x + hoverBox.width : 0) + pad);
    const statusShot = path.join(outDir, 'screenshot-status-bar.png');
    await page.screenshot({ path: statusShot, clip: { x: left, y: top, width: right - left, height: vp.height - top } });
    process.stderr.write(`saved ${path.relative(ROOT, statusShot)}\n`);
  } catch (e) {
    if (host) process.stderr.write(`--- the host's log ---\n${[...host.output, ...host.log].slice(-40).join('\n')}\n`);
    throw e;
  } finally {
    await client?.close().catch(() => undefined);
    const leftover = host ? await host.stop() : [];
    if (leftover.length) process.stderr.write(`processes left running: ${leftover.join(' ')}\n`);
    jupyter?.stop();
    await sleep(500);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const main = process.argv.includes('--readme') ? readmeShots : notebookShot;
main().catch((e) => {
  process.stderr.write(`screenshot failed: ${e.stack || e}\n`);
  process.exit(1);
});
