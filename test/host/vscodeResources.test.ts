// VS Code's OWN MCP client and its resource picker against this extension's server, in a real VS
// Code host: "MCP: Browse Resources…" (the picker "Add Context… → MCP Resources" also uses) starts
// the server through our MCP definition provider, lists the workspace's notebooks (paging through
// resources/list) and the templates; picking a notebook opens what resources/read returns, the
// model-ready Markdown view; a template is filled in with the server's completions (a notebook path,
// then a cell id) and opens that cell's view.
// Run alone: `node esbuild.js && node --import tsx --test test/host/vscodeResources.test.ts`
// JUPYTER_MCP_UPDATE_SCREENSHOTS=1 also writes media/screenshot-mcp-resource-view.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hostUnavailable, startHost, until, waitForFile, type PwPage, type RunningHost } from './harness';
import { choose, evaluate, palette, QUICK_INPUT, quickPickRows as rows } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..');
const skip = hostUnavailable();

/** The text of the active editor's visible lines (Monaco renders spaces as no-break spaces). */
const editorText = (page: PwPage): Promise<string> =>
  evaluate(page, `(document.querySelector('.editor-group-container.active .monaco-editor .view-lines')?.textContent ?? '').replace(/\\u00a0/g, ' ')`, '');

test("VS Code's resource picker lists the workspace's notebooks and opens their model-ready view; templates complete from the server", { skip, timeout: 600_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jmcp-vscode-resources-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });
  for (const f of ['analysis.ipynb', 'charts.ipynb']) fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', f), path.join(workspace, f));
  fs.mkdirSync(path.join(workspace, 'reports'));
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'unicode.ipynb'), path.join(workspace, 'reports', 'unicode.ipynb'));
  const portFile = path.join(tmp, 'mcp-port.json');
  let host: RunningHost | undefined;
  let leftover: number[] = [];
  const step = (s: string): void => void process.stderr.write(`  [vscode-resources] ${s}\n`);
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run node esbuild.js');
    host = await startHost({
      extensionPath: ROOT,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile },
      timeoutMs: 180_000,
      userSettings: { 'chat.disableAIFeatures': false, 'chat.mcp.access': 'all', 'chat.mcp.autostart': 'never' },
    });
    const page = host.page;
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
    await waitForFile(portFile, 180_000);
    step('Jupyter MCP serving');

    // The picker starts the server itself (through our definition provider) when it lists.
    await palette(page, /MCP: Browse Resources/, 'MCP: Browse Resources');
    const listed = await until('the notebooks in the picker', async () => {
      const r = await rows(page);
      return ['analysis.ipynb', 'charts.ipynb', 'reports/unicode.ipynb', 'smoke.ipynb'].every((n) => r.some((l) => l.startsWith(n))) ? r : undefined;
    }, 180_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; rows: ${JSON.stringify(await rows(page))}`);
    });
    step(`picker rows: ${JSON.stringify(listed)}`);
    assert.ok(listed.some((l) => /^Jupyter notebook,/.test(l)), 'the notebook template is offered');
    assert.ok(listed.some((l) => /^Notebook cell,/.test(l)), 'the cell template is offered');

    await choose(page, /^analysis\.ipynb/);
    const view = await until('the notebook view in an editor', async () => {
      const t = await editorText(page);
      return /# analysis\.ipynb/.test(t) && /Cell 2 · code · id cb7e3919/.test(t) ? t : undefined;
    });
    assert.match(view, /Jupyter notebook · 10 cells/);
    step('picked analysis.ipynb: its Markdown view opened');
    if (process.env.JUPYTER_MCP_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: path.join(ROOT, 'media', 'screenshot-mcp-resource-view.png') });

    // A template: VS Code asks for each variable, offering the server's completions.
    await palette(page, /MCP: Browse Resources/, 'MCP: Browse Resources');
    await choose(page, /^Notebook cell/);
    await page.keyboard.type('char', { delay: 20 });
    await choose(page, /^charts\.ipynb/);
    const ids = await until('the cell ids of charts.ipynb', async () => {
      const r = await rows(page);
      return r.includes('fee63ca3') ? r : undefined;
    });
    step(`cell ids offered: ${JSON.stringify(ids)}`);
    assert.deepEqual(ids.slice(0, 4), ['12d918d7', 'fee63ca3', '7f9dfcf5', '321f42d0']);
    await choose(page, /fee63ca3/);
    const cell = await until('the cell view in an editor', async () => {
      const t = await editorText(page);
      return /charts\.ipynb, cell 1/.test(t) ? t : undefined;
    });
    assert.match(cell, /application\/vnd\.plotly\.v1\+json/);
    step('template filled from completions: the cell view opened');
  } catch (e) {
    if (host) {
      const shot = path.join(os.tmpdir(), 'jmcp-vscode-resources-failure.png');
      await host.page.screenshot({ path: shot }).catch(() => undefined);
      process.stderr.write(`  [vscode-resources] failed; picture: ${shot}\n--- host log ---\n${[...host.output, ...host.log].slice(-60).join('\n')}\n`);
    }
    throw e;
  } finally {
    if (host) leftover = await host.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
});
