// GitHub Copilot's REAL agent mode (the copilot extension built into VS Code 1.139 / code-server)
// calling this extension's tools, driven by a SCRIPTED language model instead of a real one: the
// test extension test/host/fixtures/scripted-model registers a model (vendor jupyter-mcp-scripted)
// that answers each request with the next scripted tool call and records every tool result Copilot
// hands it. So what is asserted is what Copilot's model is actually given, offline, no sign-in.
// The chat is opened as a person opens it (workbench.action.chat.open with a query, agent mode, our
// model); VS Code starts our server through the MCP definition provider (chat.mcp.autostart); the
// one-time "Enable global auto approve?" dialog is clicked as a person would.
// Scenes (one chat query each, one shared code-server): read_notebook of a real notebook and
// read_output of its plot; a paged read of a 471-cell notebook following each answer's `next`;
// execute_cell drawing a plot on a real Jupyter server's kernel; and on ONE open notebook, Copilot's
// own edit_notebook_file / run_notebook_cell mixed with ours (add_cell, read_notebook, update_cell).
// Asserted on what the MODEL received (every answer inline: no "Large tool result … written to file"
// pointer; images as image parts; advice present) and in the chat (each call shows "Ran …").
// Run alone: `node esbuild.js && node --import tsx --test test/host/copilotAgent.test.ts`
// JUPYTER_MCP_UPDATE_SCREENSHOTS=1 also writes media/screenshot-copilot-agent.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startJupyterServer, type TestJupyter } from '../helpers/jupyter';
import { writeLargeNotebook } from '../fixtures/generate-large';
import { hostPaths, hostUnavailable, until, type PwPage } from './harness';
import { startChatHost, type ChatHost, type ModelEvent } from './scriptedChat';
import { evaluate } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..');
const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';
const CONTROLLER_ID = 'jupyterMcp.jupyterServer';
/** Copilot's own text when a result is too large for its model (it writes the result to a file). */
const FILE_POINTER = /Large tool result|written to file/i;
const IMAGE_URI = /^\s*(\[Image URI: [^\]]*\]\s*)+/;

function copilotMissing(): string | undefined {
  try {
    const ext = path.join(path.dirname(hostPaths().codeServerEntry), '..', '..', 'lib', 'vscode', 'extensions', 'copilot', 'package.json');
    return fs.existsSync(ext) ? undefined : `the host has no built-in copilot extension (${ext})`;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = hostUnavailable() ?? (!fs.existsSync('/usr/bin/python3') ? 'no /usr/bin/python3 for the Jupyter server' : undefined) ?? copilotMissing();

/** A tool result as the model got it. */
interface Received {
  tool: string;
  isError: boolean;
  /** The text parts, joined (for an MCP tool with structuredContent: its JSON, after any image's URI). */
  text: string;
  images: { mimeType: string; bytes: number }[];
  /** The text part that is JSON, parsed. */
  json?: any;
}

function toReceived(e: ModelEvent): Received {
  const parts = e.parts ?? [];
  const texts = parts.filter((p) => p.kind === 'text').map((p) => p.value ?? '');
  const text = texts.join('');
  // With an image, Copilot puts "[Image URI: vscode-chat-response-resource://…]" before the JSON.
  let json: unknown;
  for (const t of texts) {
    try {
      json = JSON.parse(t.replace(IMAGE_URI, ''));
      break;
    } catch {
      /* not JSON */
    }
  }
  return {
    tool: e.tool ?? '',
    isError: e.isError === true,
    text,
    images: parts.filter((p) => p.kind === 'data' && /^image\//.test(p.mimeType ?? '')).map((p) => ({ mimeType: p.mimeType!, bytes: p.bytes ?? 0 })),
    json,
  };
}

/** analysis.ipynb's cell with a matplotlib plot (display_data image/png). */
const PLOT_CELL = 4;

/** Prints, waits long enough for a progress message to be shown, then draws. */
const PLOT_CODE = [
  'import time',
  'import matplotlib.pyplot as plt',
  'print("drawing", flush=True)',
  'time.sleep(1.5)',
  'plt.plot([1, 4, 2, 8], marker="o")',
  'plt.title("from the agent")',
  'plt.show()',
].join('\n');

/** Every default answer reaches the model inline: JSON under Copilot's 8,192-byte file threshold, no pointer. */
function assertInline(r: Received | undefined): asserts r is Received {
  assert.ok(r, 'the model received no result');
  assert.doesNotMatch(r.text, FILE_POINTER, `${r.tool}: Copilot gave its model a file pointer instead of the result (${Buffer.byteLength(r.text)} bytes)`);
  assert.equal(r.isError, false, `${r.tool} failed: ${r.text}`);
  assert.ok(r.json && typeof r.json === 'object', `${r.tool}: the model did not get the structured answer: ${r.text.slice(0, 300)}`);
  assert.ok(Buffer.byteLength(JSON.stringify(r.json)) <= 8_192, `${r.tool}: ${Buffer.byteLength(JSON.stringify(r.json))} bytes`);
}

/** A real MCP client that presents itself as VS Code does, to compare answers with what the model got. */
async function directClient(portFile: string): Promise<{ call(name: string, args: Record<string, unknown>): Promise<{ structuredContent?: unknown }>; close(): Promise<void> }> {
  const { url, token } = JSON.parse(fs.readFileSync(portFile, 'utf8')) as { url: string; token: string };
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'Visual Studio Code', version: '1.139.1' });
  await client.connect(transport);
  return {
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as { structuredContent?: unknown },
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** What update_cell writes into the cell Copilot added. */
const EDITED_SOURCE = 'copilot_added = base * 2  # replaced by Jupyter MCP\nprint("copilot added", copilot_added)';

/** A small notebook a person keeps open: the mixed-use scene edits and runs it. */
function mixedNotebook(file: string): void {
  const cell = (id: string, type: 'code' | 'markdown', source: string) =>
    type === 'code' ? { cell_type: type, id, metadata: {}, execution_count: null, outputs: [], source } : { cell_type: type, id, metadata: {}, source };
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }, language_info: { name: 'python' } },
    cells: [cell('intro', 'markdown', '# Mixed use\nCopilot and Jupyter MCP edit and run this notebook.'), cell('setup', 'code', 'base = 21')],
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

test("Copilot's agent mode (scripted model) uses Jupyter MCP's tools beside its own, and its model gets every answer whole", { skip, timeout: 900_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jmcp-copilot-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'analysis.ipynb'), path.join(workspace, 'analysis.ipynb'));
  writeLargeNotebook(path.join(workspace, 'big471.ipynb'), { cells: 471, seed: 1 });
  mixedNotebook(path.join(workspace, 'mixed.ipynb'));
  const step = (s: string): void => void process.stderr.write(`  [copilot] ${s}\n`);
  let chat: ChatHost | undefined;
  let jupyter: TestJupyter | undefined;
  let leftover: number[] = [];
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run node esbuild.js');
    jupyter = await startJupyterServer({ rootDir: workspace });
    chat = await startChatHost({ tmp, workspace, log: step, allowInSession: true });
    const { page, portFile, clicked, events, hand } = chat;

    // The person connects Jupyter MCP to the Jupyter server and opens mixed.ipynb with our kernel.
    await hand({ command: 'jupyterMcp.connectJupyter', args: [jupyter.url, jupyter.token] });
    await hand({ open: 'mixed.ipynb', kernel: { id: CONTROLLER_ID, extension: EXTENSION_ID } });
    step('connected to Jupyter; mixed.ipynb open with the "Jupyter MCP" kernel');


    /** Plays one scene (one chat query): the tool results the model received, the calls as the chat shows them. */
    const play = async (name: string, steps: unknown[]): Promise<{ results: Received[]; shown: ShownCall[] }> => {
      const started = Date.now();
      const played = await chat!.play(name, steps);
      const end = played.find((e) => e.type === 'answer' && e.text !== undefined)!;
      const results = played.filter((e) => e.type === 'result').map(toReceived);
      // The chat has rendered the finished response ("Completed N steps in …") with the model's last words.
      const shown = await until(`the chat to show scene ${name} finished`, async () => {
        const last = await lastResponse(page);
        return last.finished && last.text.includes(end.text!) ? last.calls : undefined;
      }, 60_000);
      step(`scene ${name}: ${results.map((r) => `${r.tool} (${Buffer.byteLength(r.text)} B${r.images.length ? `, ${r.images.length} image` : ''}${r.isError ? ', ERROR' : ''})`).join(', ')} — "${end.text}" in ${((Date.now() - started) / 1000).toFixed(1)} s; shown: ${shown.map((c) => c.title).join(' | ')}`);
      return { results, shown };
    };

    const direct = await directClient(portFile);
    /** Every scene's calls as the chat showed them, checked at the end. */
    const shown: { scene: string; calls: ShownCall[]; ours: number }[] = [];
    const ours = (rs: Received[]): number => rs.filter((r) => r.tool.startsWith('mcp_')).length;
    try {
      // ---- A real notebook read, then its plot ----
      const read = await play('read', [
        { tool: 'read_notebook', input: { path: 'analysis.ipynb' } },
        { tool: 'read_output', input: { path: 'analysis.ipynb', index: PLOT_CELL, output_index: 0 } },
      ]);
      shown.push({ scene: 'read', calls: read.shown, ours: ours(read.results) });
      const offered = events().find((e) => e.type === 'request' && e.scene === 'read')?.tools ?? [];
      await t.test("the model is offered our tools as mcp_<server>_<tool>, beside Copilot's own notebook tools", () => {
        for (const name of ['read_notebook', 'read_output', 'execute_cell', 'add_cell', 'update_cell']) {
          assert.ok(offered.includes(`mcp_jupyter_mcp_${name}`), `mcp_jupyter_mcp_${name} is not offered: ${offered.join(', ')}`);
        }
        for (const name of ['edit_notebook_file', 'run_notebook_cell', 'copilot_getNotebookSummary', 'read_notebook_cell_output']) {
          assert.ok(offered.includes(name), `Copilot's ${name} is not offered: ${offered.join(', ')}`);
        }
      });
      await t.test('read_notebook and read_output reach the model whole, the plot as an image', async () => {
        const [nb, plot] = read.results;
        assert.deepEqual(read.results.map((r) => r.tool), ['mcp_jupyter_mcp_read_notebook', 'mcp_jupyter_mcp_read_output']);
        assertInline(nb);
        assertInline(plot);
        // Exactly what the server answers VS Code (same clientInfo): nothing lost on the way.
        assert.deepEqual(nb.json, (await direct.call('read_notebook', { path: 'analysis.ipynb' })).structuredContent);
        assert.deepEqual(plot.json, (await direct.call('read_output', { path: 'analysis.ipynb', index: PLOT_CELL, output_index: 0 })).structuredContent);
        assert.equal(plot.images.length, 1, 'the plot did not reach the model as an image part');
        assert.equal(plot.images[0].mimeType, 'image/png');
        assert.ok(plot.images[0].bytes > 1_000, `the image part holds ${plot.images[0].bytes} bytes`);
      });

      // ---- A 471-cell notebook, page by page, following each answer's `next` ----
      const pages = await play('pages', [{ tool: 'read_notebook', input: { path: 'big471.ipynb' } }, { follow: 'next' }, { follow: 'next' }]);
      shown.push({ scene: 'pages', calls: pages.shown, ours: ours(pages.results) });
      await t.test("a 471-cell notebook is read page by page: each page inline, each answer's `next` followed", async () => {
        assert.equal(pages.results.length, 3, `the model made ${pages.results.length} calls: ${pages.results.map((p) => p.text.slice(0, 200)).join(' | ')}`);
        let args: Record<string, unknown> = { path: 'big471.ipynb' };
        for (const [i, pg] of pages.results.entries()) {
          assertInline(pg);
          const next = pg.json.next as { tool?: string; arguments?: Record<string, unknown> } | undefined;
          assert.ok(next?.tool && next.arguments, `page ${i + 1} gives no next call: ${pg.text.slice(0, 300)}`);
          assert.deepEqual(pg.json, (await direct.call('read_notebook', args)).structuredContent, `page ${i + 1} differs from the server's answer to VS Code`);
          args = next.arguments;
        }
      });

      // ---- A plot drawn in a real Jupyter kernel; a call that fails ----
      const plot = await play('plot', [
        { tool: 'start_kernel', input: {} },
        { tool: 'execute_cell', input: { kernel_id: { $last: 'kernel_id' }, code: PLOT_CODE } },
        { tool: 'execute_cell', input: { kernel_id: 'no-such-kernel', code: '1' } },
      ]);
      // The failing call is shown failed; the others done.
      shown.push({ scene: 'plot', calls: plot.shown.slice(0, 2), ours: 2 });
      await t.test('execute_cell drawing a plot: its outputs inline, the plot as an image', () => {
        const [started, drawn] = plot.results;
        assertInline(started);
        assertInline(drawn);
        assert.equal(drawn.json.kernel_id, started.json.kernel_id);
        assert.equal(drawn.json.status, 'ok', drawn.text);
        assert.match(JSON.stringify(drawn.json.outputs), /drawing/);
        assert.equal(drawn.images.length, 1, `the plot did not reach the model as an image: ${drawn.text}`);
        assert.equal(drawn.images[0].mimeType, 'image/png');
      });
      await t.test("a failing execute_cell gives the model the server's error, which names the next step", () => {
        const failed = plot.results[2];
        assert.ok(failed, 'the model received no result for the failing call');
        assert.match(failed.text, /Kernel not found: no-such-kernel\. Call list_kernels/, failed.text);
      });

      // ---- Copilot's own notebook tools and ours on ONE open notebook ----
      const nbPath = path.join(workspace, 'mixed.ipynb');
      const mixed1 = await play('mixed1', [
        { tool: 'edit_notebook_file', input: { filePath: nbPath, editType: 'insert', cellId: 'BOTTOM', language: 'python', newCode: 'copilot_added = base * 2\nprint("copilot added", copilot_added)' } },
        { tool: 'read_notebook', input: { path: 'mixed.ipynb' } },
      ]);
      shown.push({ scene: 'mixed1', calls: mixed1.shown, ours: ours(mixed1.results) });
      const copilotCell = (mixed1.results[1]?.json?.notebook?.cells ?? []).find((c: { source?: unknown }) => /copilot_added/.test(JSON.stringify(c.source)));
      const mixed2 = await play('mixed2', [
        { tool: 'update_cell', input: { path: 'mixed.ipynb', cell_id: copilotCell?.id ?? 'missing', source: EDITED_SOURCE } },
        { tool: 'add_cell', input: { path: 'mixed.ipynb', cell_type: 'code', source: 'ours_added = 6 * 7\nprint("ours added", ours_added)' } },
        { tool: 'copilot_getNotebookSummary', input: { filePath: nbPath } },
      ]);
      shown.push({ scene: 'mixed2', calls: mixed2.shown, ours: ours(mixed2.results) });
      await t.test("a cell Copilot's edit_notebook_file added is seen by our read_notebook and replaced by id with update_cell", () => {
        const [edit, readBack] = mixed1.results;
        assert.equal(edit.tool, 'edit_notebook_file');
        assert.equal(edit.isError, false, edit.text);
        assertInline(readBack);
        assert.ok(copilotCell?.id, `read_notebook does not show the cell Copilot added: ${readBack.text.slice(0, 1500)}`);
        const [updated] = mixed2.results;
        assertInline(updated);
        assert.equal(updated.json.cell_id, copilotCell.id, updated.text);
      });
      // Copilot names cells by its own ids (#VSC-…): its summary lists them in notebook order.
      const added = mixed2.results[1]?.json as { cell_index?: number; cell_id?: string } | undefined;
      const summary = mixed2.results[2]?.text ?? '';
      const copilotIds = new Map([...summary.matchAll(/(\d+)\. Cell Id = (#VSC-[0-9a-f]+)/g)].map((m) => [Number(m[1]) - 1, m[2]]));
      const addedCopilotId = added?.cell_index === undefined ? undefined : copilotIds.get(added.cell_index);
      const mixed3 = await play('mixed3', [
        { tool: 'run_notebook_cell', input: { filePath: nbPath, cellId: addedCopilotId ?? 'missing' } },
        { tool: 'read_notebook', input: { path: 'mixed.ipynb' } },
      ]);
      shown.push({ scene: 'mixed3', calls: mixed3.shown, ours: ours(mixed3.results) });
      await t.test("a cell our add_cell added runs with Copilot's run_notebook_cell, in our kernel; our read_notebook sees its output", () => {
        assertInline(mixed2.results[1]);
        assert.ok(addedCopilotId, `Copilot's summary does not list the cell add_cell added (index ${added?.cell_index}): ${summary}`);
        const [ran, readBack] = mixed3.results;
        assert.equal(ran.tool, 'run_notebook_cell');
        assert.equal(ran.isError, false, ran.text);
        assert.match(ran.text, /ours added 42/, `Copilot's run_notebook_cell did not return the output: ${ran.text}`);
        assertInline(readBack);
        const cells = readBack.json.notebook.cells as { id: string; source: string; outputs?: unknown[]; execution_count?: number | null }[];
        const ranCell = cells.find((c) => c.id === added!.cell_id);
        assert.ok(ranCell, `read_notebook lost the cell add_cell added: ${readBack.text.slice(0, 1500)}`);
        assert.match(JSON.stringify(ranCell.outputs), /ours added 42/, `read_notebook does not show the output of the run: ${JSON.stringify(ranCell)}`);
        assert.equal(typeof ranCell.execution_count, 'number', JSON.stringify(ranCell));
        assert.equal(cells.find((c) => c.id === copilotCell?.id)?.source, EDITED_SOURCE, 'the update_cell edit is not in the notebook');
      });

      await t.test('the chat shows each of our calls done as "Ran <title>", never a progress message left behind', () => {
        for (const s of shown) {
          const mcp = s.calls.filter((c) => /Jupyter MCP/.test(c.origin));
          assert.equal(mcp.length, s.ours, `scene ${s.scene}: the chat shows ${mcp.length} of our ${s.ours} calls: ${JSON.stringify(s.calls)}`);
          for (const c of mcp) {
            assert.match(c.title, /^Ran /, `scene ${s.scene}: our finished call reads "${c.title}"`);
            assert.match(c.icon, /codicon-check/, `scene ${s.scene}: "${c.title}" is not shown done (${c.icon})`);
          }
        }
      });
      await screenshot(page, process.env.JUPYTER_MCP_UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'media', 'screenshot-copilot-agent.png') : path.join(os.tmpdir(), 'jmcp-copilot-agent.png'), hand);
      assert.ok(clicked.filter((c) => c === 'Enable').length <= 1, `"Enable global auto approve?" was asked more than once: ${clicked.join(', ')}`);
    } finally {
      await direct.close();
    }
  } catch (e) {
    const host = chat?.host;
    if (host) {
      const shot = path.join(os.tmpdir(), 'jmcp-copilot-failure.png');
      await host.page.screenshot({ path: shot }).catch(() => undefined);
      const html = path.join(os.tmpdir(), 'jmcp-copilot-failure.html');
      fs.writeFileSync(html, await evaluate(host.page, `document.body.outerHTML`, ''));
      process.stderr.write(`  [copilot] failed; picture: ${shot}, page: ${html}\n--- host log ---\n${[...host.output, ...host.log].slice(-60).join('\n')}\n`);
    }
    throw e;
  } finally {
    if (chat) leftover = await chat.stop();
    await jupyter?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
});

/** The chat, widened, with the last scenes' calls unfolded, beside the notebook they changed. */
async function screenshot(page: PwPage, file: string, hand: (req: Record<string, unknown>) => Promise<unknown>): Promise<void> {
  await hand({ command: 'workbench.action.closeSidebar' });
  await page.locator('.chat-input-notification-dismiss').first().click({ timeout: 5_000 }).catch(() => undefined);
  // Drag the sash between the editor and the chat to the left, as a person widens the chat.
  const left = await evaluate(page, `(() => { const r = document.querySelector('.part.auxiliarybar')?.getBoundingClientRect(); return r ? [r.left, r.top + r.height / 2] : null; })()`, null as [number, number] | null);
  if (left) {
    await page.mouse.move(left[0] - 1, left[1]);
    await page.mouse.down();
    await page.mouse.move(left[0] - 260, left[1], { steps: 8 });
    await page.mouse.up();
  }
  // The chat's list renders again at its new width: unfold after that.
  await page.waitForTimeout(1_000);
  await evaluate(page, `(() => {
    for (const d of document.querySelectorAll('.interactive-session details.completed-response-disclosure')) d.open = true;
  })()`, undefined);
  await page.waitForTimeout(800);
  await page.screenshot({ path: file });
  process.stderr.write(`  [copilot] screenshot: ${file}\n`);
}

/** A tool call as the chat shows it: its label, where it comes from, its state icon. */
interface ShownCall {
  title: string;
  origin: string;
  icon: string;
}

/**
 * The chat's latest response: its text, its tool calls, and whether it is finished (VS Code folds a
 * finished agent response's steps under "Completed N steps in …"). Read right after each scene: the
 * chat's list is virtual, older responses leave the DOM as it scrolls.
 */
function lastResponse(page: PwPage): Promise<{ finished: boolean; text: string; calls: ShownCall[] }> {
  return evaluate(
    page,
    `(() => {
      const all = document.querySelectorAll('.interactive-session .interactive-response');
      const r = all[all.length - 1];
      if (!r) return { finished: false, text: '', calls: [] };
      const calls = [...r.querySelectorAll('.chat-tool-invocation-part')].map((p) => ({
        title: (p.querySelector('.chat-confirmation-widget-title .rendered-markdown')?.textContent ?? p.textContent ?? '').replace(/\\s+/g, ' ').trim(),
        origin: (p.querySelector('.chat-confirmation-widget-title small')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
        icon: p.querySelector('.chat-confirmation-widget-title .codicon')?.className ?? '',
      }));
      return { finished: !!r.querySelector('.completed-response-summary'), text: r.textContent ?? '', calls };
    })()`,
    { finished: false, text: '', calls: [] as ShownCall[] },
  );
}
