// Jupyter MCP beside the REAL Jupyter extension (ms-toolsai.jupyter, built unchanged from Microsoft's
// sources: the .vsix in ../shared/peers or $JUPYTER_MCP_PEERS), in a real VS Code host, driven as a
// person drives it: the notebook opened with Quick Open, its kernel picked in the kernel picker from
// a real Jupyter server this test starts, a cell run from the command palette. Then the agent, over
// MCP (a real SDK client on HTTP): list_kernels shows the notebook's kernel, execute_cell runs on it
// (the Jupyter extension's consent dialog is clicked once, as the person would), and
// execute_notebook_cell / execute_notebook without kernel_id run through the editor, outputs saved.
// Without the .vsix the test reports itself skipped with the reason (never a silent pass).
// Run alone: `node esbuild.js && node --import tsx --test test/host/realJupyter.test.ts`
// JUPYTER_MCP_UPDATE_SCREENSHOTS=1 also writes media/screenshot-real-jupyter.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startJupyterServer, type TestJupyter } from '../helpers/jupyter';
import { hostUnavailable, installVsix, startHost, waitForFile, type PwPage, type RunningHost } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');
const NB = 'real-kernel.ipynb';

/** The real Jupyter extension's .vsix, or why there is none. */
function findJupyterVsix(): { vsix?: string; reason?: string } {
  const candidates = [process.env.JUPYTER_MCP_PEERS, path.join(ROOT, '..', 'shared', 'peers'), path.join(ROOT, '..', '..', 'shared', 'peers')].filter(
    (d): d is string => !!d,
  );
  for (const dir of candidates) {
    if (!fs.existsSync(dir)) continue;
    const vsix = fs.readdirSync(dir).find((f) => /^ms-toolsai\.jupyter-.*\.vsix$/.test(f));
    if (vsix) return { vsix: path.join(dir, vsix) };
  }
  return { reason: `the real Jupyter extension (ms-toolsai.jupyter-*.vsix) is not in ${candidates.join(' or ')}; set JUPYTER_MCP_PEERS to its folder` };
}

const found = findJupyterVsix();
const skip = hostUnavailable() ?? (!fs.existsSync('/usr/bin/python3') ? 'no /usr/bin/python3 for the Jupyter server' : undefined) ?? found.reason;

type ToolResult = { isError?: boolean; structuredContent?: any; content?: { type: string; text?: string }[] };
const text = (r: ToolResult): string => (r.content ?? []).map((c) => c.text ?? '').join('\n');

function notebook(file: string): void {
  const cell = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }, language_info: { name: 'python' } },
        cells: [cell('person', 'x = 21\nprint("the person ran this")'), cell('agent', 'print("agent sees x =", x)\nx * 2'), cell('third', 'y = x + 1\ny')],
      },
      null,
      1,
    ) + '\n',
  );
}

// ---- driving the workbench as a person does (keyboard, quick input) ----

const QUICK_INPUT = '.quick-input-widget';

async function quickInputOpen(page: PwPage): Promise<void> {
  await page.waitForSelector(`${QUICK_INPUT} input`, { timeout: 30_000 });
}

/** Types `filter` into the open quick pick and accepts the row whose label contains `label`. */
async function pick(page: PwPage, label: string, filter = label): Promise<void> {
  await quickInputOpen(page);
  await page.keyboard.type(filter, { delay: 10 });
  await page.waitForSelector(`${QUICK_INPUT} .monaco-list-row[aria-label*="${label}"]`, { timeout: 60_000 });
  await page.keyboard.press('Enter');
}

/** The labels of the rows the open quick pick shows. */
async function rows(page: PwPage): Promise<string[]> {
  return page
    .frames()[0]
    .evaluate<string[]>(`[...document.querySelectorAll('${QUICK_INPUT} .monaco-list-row')].map((r) => r.getAttribute('aria-label') || r.textContent || '')`)
    .catch(() => []);
}

/** Waits for a quick-pick row matching `re` and clicks it; returns its label. */
async function choose(page: PwPage, re: RegExp, timeoutMs = 90_000): Promise<string> {
  const label = await until(`a quick-pick row matching ${re}`, async () => (await rows(page)).find((l) => re.test(l)), timeoutMs).catch(async (e: Error) => {
    throw new Error(`${e.message}; rows: ${JSON.stringify(await rows(page))}`);
  });
  await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: re }).first().click({ timeout: 30_000 });
  return label;
}

async function command(page: PwPage, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await pick(page, title);
}

async function openWithQuickOpen(page: PwPage, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await pick(page, name);
      // Its tab is the active one (with two notebooks open, the other editor's cells stay in the DOM).
      await page.locator('.tabs-container .tab.active', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Clicks a button of VS Code's modal dialog (e.g. the Jupyter extension's consent) when it shows. */
async function clickDialog(page: PwPage, button: string, timeoutMs: number): Promise<boolean> {
  const b = page.locator('.monaco-dialog-box .monaco-button', { hasText: button }).first();
  try {
    await b.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    return false;
  }
  await b.click();
  return true;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the real Jupyter extension: the person picks a kernel on a Jupyter server and runs a cell, then the agent uses that kernel', { skip, timeout: 900_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jmcp-real-jupyter-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true }); // .vscode/settings.json: port 0
  notebook(path.join(workspace, NB));
  const portFile = path.join(tmp, 'mcp-port.json');
  let host: RunningHost | undefined;
  let jupyter: TestJupyter | undefined;
  let client: Client | undefined;
  let leftover: number[] = [];
  const step = (s: string): void => void process.stderr.write(`  [real-jupyter] ${s}\n`);
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run node esbuild.js');
    const extensionsDir = path.join(tmp, 'extensions');
    const installed = installVsix(found.vsix!, extensionsDir, { timeoutMs: 300_000 });
    assert.equal(installed.status, 0, `code-server --install-extension ${found.vsix} failed:\n${installed.output}`);
    step(`installed ${path.basename(found.vsix!)} in ${(installed.durationMs / 1000).toFixed(1)} s`);

    jupyter = await startJupyterServer({ rootDir: workspace });
    step(`Jupyter server at ${jupyter.url}`);

    host = await startHost({
      extensionPath: ROOT,
      extensionsDir,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile, JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime') },
      timeoutMs: 180_000,
      viewport: { width: 1400, height: 950 },
    });
    const page = host.page;
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
    const published = JSON.parse(await waitForFile(portFile, 180_000)) as { url: string; token: string };
    step('workbench up, Jupyter MCP serving');

    // 1. The person: open the notebook, pick a kernel on the Jupyter server, run the first cell.
    await openWithQuickOpen(page, NB);
    // The "Select Kernel" button of the notebook toolbar (the palette command is hidden unless the
    // notebook editor has focus).
    await page.locator('.notebook-toolbar-container .kernel-action-view-item', { hasText: 'Select Kernel' }).first().click({ timeout: 60_000 });
    // With no kernel suggested the picker lists the kernel sources at once; otherwise they are
    // behind "Select Another Kernel...".
    const first = await choose(page, /Select Another Kernel|Existing Jupyter Server/);
    if (/Select Another Kernel/.test(first)) await choose(page, /Existing Jupyter Server/);
    await page.locator(QUICK_INPUT, { hasText: /URL/i }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.keyboard.type(`${jupyter.url.replace(/\/$/, '')}/?token=${jupyter.token}`);
    await page.keyboard.press('Enter');
    // Then the server's display name (keep the default). Wait for that box: the URL box stays open
    // while the extension checks the server.
    await page.locator(QUICK_INPUT, { hasText: /Display Name/i }).first().waitFor({ state: 'visible', timeout: 90_000 });
    await page.keyboard.press('Enter');
    step(`kernels offered: ${JSON.stringify(await until('the server\'s kernels', async () => { const r = await rows(page); return r.length ? r : undefined; }))}`);
    await choose(page, /Python 3/);
    step('kernel picked');
    await page.locator('.notebook-toolbar-container .action-item', { hasText: 'Run All' }).first().click({ timeout: 30_000 });
    // The person's run shows in the editor.
    await page.waitForSelector('.notebook-editor .cell-list-container', { timeout: 10_000 });

    // 2. The agent.
    client = new Client({ name: 'real-jupyter-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(published.url), { requestInit: { headers: { Authorization: `Bearer ${published.token}` } } }));
    // VS Code writes the file in place (truncate, then write): a read can meet it empty, so a read
    // that does not parse is "not yet".
    const onDisk = (): { cells: { id: string; outputs: unknown[] }[] } | undefined => {
      try {
        return JSON.parse(fs.readFileSync(path.join(workspace, NB), 'utf8')) as { cells: { id: string; outputs: unknown[] }[] };
      } catch {
        return undefined;
      }
    };
    const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await client!.callTool({ name, arguments: args }, undefined, { timeout: 240_000 })) as ToolResult;

    // list_kernels shows the notebook's kernel once the person's cell ran.
    // It is listed while it starts ("starting"); the person's run is over when it is idle. (Code sent
    // before that is refused by the Jupyter extension: "Kernel connection not available".)
    const listed = await until('list_kernels to show the notebook kernel, idle', async () => {
      const r = await call('list_kernels', {});
      assert.ok(!r.isError, text(r));
      const k = (r.structuredContent.active_kernels as { id: string; notebook?: string; backend: string; state: string }[]).find((x) => x.notebook === NB);
      return k?.state === 'idle' ? k : undefined;
    }, 240_000);
    assert.equal(listed.id, `editor:${NB}`);
    assert.equal(listed.backend, 'editor');
    step(`list_kernels: ${JSON.stringify(listed)}`);

    // execute_cell on the notebook's kernel: the Jupyter extension asks the person once.
    const ran = call('execute_cell', { kernel_id: `editor:${NB}`, code: 'x + 1' });
    const asked = await clickDialog(page, 'Allow', 60_000);
    const r1 = await ran;
    assert.ok(!r1.isError, text(r1));
    assert.match(text(r1), /\b22\b/, 'execute_cell did not share the notebook kernel\'s state (x = 21)');
    step(`execute_cell: consent dialog ${asked ? 'shown and allowed' : 'not shown'}; ${text(r1).slice(0, 120)}`);

    // execute_notebook_cell without kernel_id: through the editor, outputs in the document and saved.
    const r2 = await call('execute_notebook_cell', { path: NB, cell_id: 'agent' });
    assert.ok(!r2.isError, text(r2));
    assert.match(text(r2), /agent sees x = 21/);
    assert.match(text(r2), /\b42\b/);
    const saved = await until('the outputs to be saved', async () => {
      const nb = onDisk();
      const c = nb?.cells.find((x) => x.id === 'agent');
      return c && c.outputs.length > 0 ? nb : undefined;
    });
    assert.match(JSON.stringify(saved.cells.find((c) => c.id === 'agent')), /agent sees x = 21/);
    step('execute_notebook_cell ran through the editor; outputs saved');

    // execute_notebook without kernel_id: every cell, same kernel.
    const r3 = await call('execute_notebook', { path: NB });
    assert.ok(!r3.isError, text(r3));
    await until('every cell\'s outputs to be saved', async () => onDisk()?.cells.every((c) => c.outputs.length > 0));
    step('execute_notebook ran every cell');

    const shot = process.env.JUPYTER_MCP_UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'media', 'screenshot-real-jupyter.png') : path.join(os.tmpdir(), 'jmcp-real-jupyter.png');
    await page.screenshot({ path: shot });
    step(`screenshot: ${shot}`);

    // interrupt_kernel through the extension: a long run stops with KeyboardInterrupt.
    const long = call('execute_cell', { kernel_id: `editor:${NB}`, code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(120)\nprint("never")', timeout: 200 });
    await until('the kernel to be busy', async () => {
      const r = await call('list_kernels', {});
      return (r.structuredContent.active_kernels as { notebook?: string; state: string }[]).some((k) => k.notebook === NB && k.state === 'busy');
    });
    const intr = await call('interrupt_kernel', { kernel_id: `editor:${NB}` });
    assert.ok(!intr.isError, text(intr));
    const interrupted = await long;
    // Code sent through the extension's kernels API ends, when interrupted, with the extension's
    // own "Canceled future for execute_request" rather than a KeyboardInterrupt output.
    assert.match(text(interrupted), /KeyboardInterrupt|interrupted|Canceled future for execute_request/i, `the long run was not interrupted: ${text(interrupted)}`);
    assert.doesNotMatch(text(interrupted), /never/);
    step(`interrupt_kernel: ${text(interrupted).split('\n')[0]}`);

    // restart_kernel through the extension (its confirmation clicked): the kernel's state is gone.
    const restarting = call('restart_kernel', { kernel_id: `editor:${NB}` });
    const confirmed = await clickDialog(page, 'Restart', 30_000);
    const restarted = await restarting;
    assert.ok(!restarted.isError, text(restarted));
    // The kernel's state is gone: the third cell (y = x + 1), run through the editor, fails on x.
    const gone = await until('the restarted kernel to run a cell', async () => {
      const r = await call('execute_notebook_cell', { path: NB, cell_id: 'third' });
      return /NameError/.test(text(r)) ? r : undefined;
    });
    step(`restart_kernel: confirmation ${confirmed ? 'clicked' : 'not asked'}; then: ${text(gone).split('\n').find((l) => /NameError/.test(l))}`);
    const adHoc = await call('execute_cell', { kernel_id: `editor:${NB}`, code: '1 + 1' });
    step(`execute_cell right after the restart: ${adHoc.isError ? 'error' : 'ok'}: ${text(adHoc).slice(0, 160)}`);

    // A notebook open in the editor whose kernel the person never picked or started: a clear answer.
    await openWithQuickOpen(page, 'smoke.ipynb');
    // The tab shows a moment before the extension host hears of the document ("not open" meanwhile).
    let none: ToolResult = {};
    await until('the extension host to see smoke.ipynb open', async () => {
      none = await call('execute_cell', { kernel_id: 'editor:smoke.ipynb', code: '1' });
      return !/not open in VS Code/.test(text(none));
    }, 60_000);
    assert.equal(none.isError, true);
    assert.match(text(none), /No kernel is running for smoke\.ipynb in VS Code: run a cell or pick a kernel/);
    step(`no kernel picked: ${text(none).slice(0, 200)}`);
  } catch (e) {
    if (host) {
      const shot = path.join(os.tmpdir(), 'jmcp-real-jupyter-failure.png');
      await host.page.screenshot({ path: shot }).catch(() => undefined);
      process.stderr.write(`  [real-jupyter] failed; picture of the workbench: ${shot}\n--- host log ---\n${[...host.output, ...host.log].slice(-80).join('\n')}\n`);
    }
    throw e;
  } finally {
    await client?.close().catch(() => undefined);
    if (host) leftover = await host.stop();
    await jupyter?.stop().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
});
