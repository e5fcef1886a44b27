// What each client's MODEL reads from this server's results (issues #10, #19), computed with the
// client rules of test/helpers/clientViews.ts over real results: the real server over real HTTP,
// real SDK clients connected under each client's real clientInfo name (the server picks its budget
// from it), the real fixtures plus generated notebooks (471 cells ≈ 2.8 MB, 5,000 cells, a
// 20,000-line output) and a real Jupyter server for the execute tools. A default answer must reach
// each client's model whole: under Copilot's 8,192 file threshold in VS Code, under Cline 4's
// 8,000-character cut of the whole result, under the 40,000 budget elsewhere.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, startServer, tempWorkspace, type CallResult, type TestServer } from '../helpers/mcp';
import { startJupyterServer, type TestJupyter } from '../helpers/jupyter';
import { CLIENT_INFO, CLIENTS, findBase64, modelView, VSCODE_FILE_THRESHOLD, type ClientName, type ResultLike } from '../helpers/clientViews';
import { longStreamText, MODEL_FIXTURES, writeModelFixtures } from '../helpers/modelFixtures';

/** What each client's view may hold (src/server/clientBudgets.ts): UTF-8 bytes of what the client measures. */
const BUDGET: Record<ClientName, number> = { vscode: 8_000, cline: 8_000, 'claude-code': 40_000, roo: 40_000 };

function asResult(r: CallResult): ResultLike {
  return { content: r.content, structuredContent: r.structured, isError: r.isError };
}

/**
 * The client's view of its own answer: handed to its model whole (no file pointer, preview or
 * middle cut), within its budget, not cut by the server's last guard, no base64.
 */
function checkView(r: CallResult, client: ClientName, what: string, budget = BUDGET[client]) {
  const view = modelView(asResult(r), client);
  assert.ok(view.whole, `${what}: ${client} does not hand it whole (${view.chars} chars): ${view.text.slice(0, 300)}`);
  assert.ok(view.bytes <= budget, `${what}: ${client} reads ${view.bytes} bytes (${view.chars} characters; budget ${budget})`);
  assert.doesNotMatch(view.text, /result[ _]cut/, `${what}: ${client}: the server had to cut a default answer`);
  const b64 = findBase64(view.text);
  assert.equal(b64, undefined, `${what}: base64 in ${client}'s view: ${b64}`);
  return view;
}

async function connectAs(url: string, client: ClientName | { name: string; version: string }): Promise<Client> {
  const c = new Client(typeof client === 'string' ? CLIENT_INFO[client] : client);
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}

/** The `next` call a result names, in the view its client reads (Cline reads the text only). */
function nextArgs(r: CallResult): Record<string, unknown> | undefined {
  if (r.structured) return r.structured.next?.arguments;
  const m = /(?:Next page|the rest of the outline|next in full|the cells in full from the first): read_notebook (\{[^}]*\})/.exec(r.text);
  return m ? JSON.parse(m[1]) : undefined;
}

describe('what the model sees', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let jupyter: TestJupyter;
  let server: TestServer;
  const clients = {} as Record<ClientName, Client>;
  let f: ReturnType<typeof writeModelFixtures>;
  /** The analysis notebook's kernel, started by the plot test and reused by the execute test. */
  let notebookKernel: string | undefined;

  before(async () => {
    ws = tempWorkspace([...MODEL_FIXTURES, 'legacy-v44.ipynb']);
    f = writeModelFixtures(ws.root);
    jupyter = await startJupyterServer({ rootDir: ws.root });
    server = await startServer({ root: ws.root, timeoutMs: 120_000, jupyter: { url: jupyter.url, token: jupyter.token, offline: false } });
    for (const c of CLIENTS) clients[c] = await connectAs(server.url, c);
  });

  after(async () => {
    for (const c of CLIENTS) await clients[c]?.close();
    await server?.close();
    await jupyter?.stop();
    ws?.cleanup();
  });

  test('every default read reaches each client\'s model whole and within its budget (VS Code: no file pointer), with the next call in the view it reads', async () => {
    for (const c of CLIENTS) {
      for (const nb of [...MODEL_FIXTURES, 'legacy-v44.ipynb', f.big471, f.big5000, f.longOutput]) {
        for (const format of [undefined, 'outline', 'source', 'raw']) {
          const r = await call(clients[c], 'read_notebook', { path: nb, ...(format ? { format } : {}) });
          assert.equal(r.isError, false, r.text);
          const view = checkView(r, c, `read_notebook ${nb} ${format ?? ''}`);
          // Cline gets one view, the text; the others structuredContent too.
          assert.equal(r.structured === undefined, c === 'cline', `${c}: shape`);
          const next = nextArgs(r);
          if (next) {
            assert.ok(r.text.includes(`read_notebook ${JSON.stringify(next)}`), `${c}: the text names the next call`);
            if (c !== 'cline') assert.ok(view.text.includes(JSON.stringify(next)), `${c}: its view names the next call`);
          }
        }
      }
    }
  });

  test('the first read of a notebook too big for one answer is its outline, with where to go next; the whole outline takes few calls', async () => {
    // VS Code, 471 cells: the outline first (not three cells), then the outline's rest.
    const big = await call(clients.vscode, 'read_notebook', { path: f.big471 });
    assert.equal(big.structured.returned, 0);
    assert.deepEqual(big.structured.notebook.cells, []);
    assert.ok(big.structured.outline.length > 60, `${big.structured.outline.length} outline lines`);
    assert.match(big.structured.outline[2], /^\[2\] 1c32cc8f code 11L #1: events_plot = np\.log1p\(events\["estimate"\]\) -> stdout 354, html 548$/);
    assert.deepEqual(big.structured.next, { tool: 'read_notebook', arguments: { path: f.big471, format: 'outline', start_index: big.structured.outline.length } });
    assert.match(big.structured.note, /471 cells, too big to read whole in one answer\. Outline of cells 0-\d+ below; the rest of the outline: read_notebook .*Read any cell in full with read_notebook \{"path":"big471\.ipynb","start_index":0,"limit":1\}/);
    // The whole outline, following `next`: few calls, each cell once.
    const calls = async (c: ClientName, nb: string) => {
      let args: Record<string, unknown> | undefined = { path: nb };
      const seen: number[] = [];
      let n = 0;
      for (; args && (n === 0 || args.format === 'outline'); n++) {
        const r = await call(clients[c], 'read_notebook', args);
        checkView(r, c, `outline ${JSON.stringify(args)}`);
        const lines: string[] = r.structured ? r.structured.outline : r.text.split('\n').filter((l) => /^\[\d+\] /.test(l));
        seen.push(...lines.map((l) => Number(/^\[(\d+)\]/.exec(l)![1])));
        args = nextArgs(r);
      }
      return { n, seen };
    };
    for (const [c, most] of [['vscode', 6], ['cline', 8], ['claude-code', 2]] as const) {
      const { n, seen } = await calls(c, f.big471);
      assert.deepEqual(seen, Array.from({ length: 471 }, (_, i) => i), `${c}: every cell once in the outline`);
      assert.ok(n <= most, `${c}: the whole outline of 471 cells took ${n} calls (at most ${most})`);
    }
    // A notebook whose outline fits: all of it, the first cells in full in the room left, and
    // `next` is the page in full after those.
    const some = await call(clients.vscode, 'read_notebook', { path: 'errors-and-streams.ipynb' });
    assert.equal(some.structured.outline.length, some.structured.cell_count);
    const shown = some.structured.notebook.cells.length;
    assert.ok(shown >= 1 && shown < some.structured.cell_count, `${shown} cells in full`);
    assert.deepEqual(some.structured.next, { tool: 'read_notebook', arguments: { path: 'errors-and-streams.ipynb', start_index: shown } });
    assert.match(some.structured.note, /Its whole outline is below, and cells 0-\d+ in full; next in full: read_notebook/);
  });

  // Every budget: VS Code's 8,000 and the 40,000 of other clients. The 5,000-cell notebook is paged
  // whole in outline form and, in full form, from cell 4,800 to its end (the same pager).
  test('paging with `next` visits every cell exactly once (full, raw, outline, and from the first read), at 8,000 and at 40,000', async () => {
    for (const c of ['vscode', 'claude-code'] as const) {
      for (const [nb, from, format] of [
        [f.big471, 0, 'full'],
        [f.big471, 0, 'raw'],
        [f.big5000, 0, 'outline'],
        [f.big5000, 4800, 'full'],
        [f.big471, 0, undefined],
        ['errors-and-streams.ipynb', 0, undefined],
        ['big-outputs.ipynb', 0, 'full'],
      ] as const) {
        const total = JSON.parse(readFileSync(path.join(ws.root, nb), 'utf8')).cells.length;
        const full: number[] = [];
        const outlined: number[] = [];
        let args: Record<string, unknown> | undefined = { path: nb, ...(format ? { format } : {}), ...(from ? { start_index: from } : {}) };
        for (let pages = 0; args; pages++) {
          assert.ok(pages < total, 'paging ends');
          const r = await call(clients[c], 'read_notebook', args);
          assert.equal(r.isError, false, r.text);
          checkView(r, c, `page ${JSON.stringify(args)}`);
          outlined.push(...(r.structured.outline ?? []).map((l: string) => Number(/^\[(\d+)\]/.exec(l)![1])));
          full.push(...(r.structured.notebook?.cells ?? []).map((x: { index: number }) => x.index));
          assert.equal(r.structured.next?.tool ?? 'read_notebook', 'read_notebook');
          args = r.structured.next?.arguments;
        }
        const all = Array.from({ length: total - from }, (_, i) => from + i);
        const what = `${c} ${nb} ${format ?? 'first read'}`;
        if (format === 'outline') assert.deepEqual(outlined, all, `${what}: every cell once`);
        else if (format) assert.deepEqual(full, all, `${what}: every cell once, in order`);
        // From the first read: a notebook that fits comes whole; one that does not, as the outline
        // of every cell once, then either no cell in full (the outline's pages follow) or every
        // cell in full once (the pages in full follow).
        else if (outlined.length === 0) assert.deepEqual(full, all, `${what}: whole at once`);
        else {
          assert.deepEqual(outlined, all, `${what}: every cell outlined once`);
          assert.ok(full.length === 0 || full.join() === all.join(), `${what}: cells in full ${full.join()}`);
        }
      }
    }
  });

  test('an explicit budget applies to every client: a small one still pages every cell once; a large one lets VS Code results grow past its file threshold', async () => {
    const small = await startServer({ root: ws.root, maxResultChars: 4000 });
    const c = await connectAs(small.url, 'vscode');
    try {
      for (const [nb, from] of [[f.big471, 400], [f.longOutput, 0], ['analysis.ipynb', 0]] as const) {
        const total = JSON.parse(readFileSync(path.join(ws.root, nb), 'utf8')).cells.length;
        const seen: number[] = [];
        let args: Record<string, unknown> | undefined = { path: nb, format: 'full', ...(from ? { start_index: from } : {}) };
        while (args) {
          const r = await call(c, 'read_notebook', args);
          assert.equal(r.isError, false, r.text);
          checkView(r, 'vscode', `small page ${JSON.stringify(args)}`, 4000);
          seen.push(...r.structured.notebook.cells.map((x: { index: number }) => x.index));
          args = r.structured.next?.arguments;
        }
        assert.deepEqual(seen, Array.from({ length: total - from }, (_, i) => from + i), nb);
      }
    } finally {
      await c.close();
      await small.close();
    }
    const large = await startServer({ root: ws.root, maxResultChars: 30_000 });
    const v = await connectAs(large.url, 'vscode');
    try {
      const r = await call(v, 'read_notebook', { path: f.big471, format: 'outline' });
      const view = modelView(asResult(r), 'vscode');
      assert.ok(view.chars > VSCODE_FILE_THRESHOLD && view.chars <= 30_000, `${view.chars}`);
      assert.equal(view.whole, false, 'Copilot writes it to a file: the person chose so');
    } finally {
      await v.close();
      await large.close();
    }
  });

  test('a 20,000-line output: read_notebook shows its head and tail and the read_output call; paging it returns the whole text, in every client', async () => {
    const full = longStreamText();
    for (const c of CLIENTS) {
      const r = await call(clients[c], 'read_notebook', { path: f.longOutput });
      const out = c === 'cline' ? r.text : (r.structured.notebook.cells[1].outputs[0].text as string);
      assert.ok(out.includes('step 0 loss=1.000000'), `${c}: head kept`);
      assert.ok(out.includes('step 19999 loss=0.000050 acc=1.0000'), `${c}: tail kept: the last loss matters`);
      const m = /Read the rest with read_output (\{[^}]*\})/.exec(c === 'cline' ? r.text.replace(/\\"/g, '"') : out);
      assert.ok(m, out.slice(0, 3000));
      const first = JSON.parse(m[1]);
      assert.deepEqual(first, { path: f.longOutput, cell_id: 'train', output_index: 0, offset: first.offset });
      if (c !== 'cline') assert.equal(full.slice(0, first.offset), out.slice(0, first.offset), 'the offset is where the shown head ends');
      // Follow read_output's next calls from the start: the pieces are the output, in order, once.
      let text = '';
      let args: Record<string, unknown> | undefined = { ...first, offset: 0 };
      for (let n = 0; args; n++) {
        assert.ok(n < 400);
        const p = await call(clients[c], 'read_output', args);
        assert.equal(p.isError, false, p.text);
        checkView(p, c, `read_output ${JSON.stringify(args)}`);
        if (p.structured) {
          assert.equal(p.structured.offset, text.length);
          text += p.structured.text;
          if (p.structured.next) assert.ok(p.text.includes(JSON.stringify(p.structured.next.arguments)), 'text view names the next call');
          args = p.structured.next?.arguments;
        } else {
          // Cline's text: the summary line, then the text itself.
          text += p.text.slice(p.text.indexOf('\n') + 1);
          const rest = /Rest: read_output (\{[^}]*\})/.exec(p.text.slice(0, p.text.indexOf('\n')));
          args = rest ? JSON.parse(rest[1]) : undefined;
        }
      }
      assert.equal(text, full, `${c}: the whole output`);
    }
  });

  test('a plot reaches the model as an image where the client shows images; Cline 4 is told instead of handed base64', async () => {
    const nb = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
    const png = nb.cells[4].outputs[0].data['image/png'].replace(/\s+/g, '');
    for (const c of CLIENTS) {
      const r = await call(clients[c], 'read_output', { path: 'analysis.ipynb', cell_id: nb.cells[4].id, output_index: 0 });
      assert.equal(r.isError, false, r.text);
      const view = checkView(r, c, 'read_output plot');
      if (c === 'cline') {
        assert.deepEqual(r.content.filter((x) => x.type === 'image'), [], 'no image block: Cline 4 would hand its model the base64');
        assert.match(view.text, /image\/png, 366×256, 16\.4 KB.*1 image not included: this client hands image blocks to its model as base64 text/);
      } else {
        assert.deepEqual(view.images, [{ data: png, mimeType: 'image/png' }], `${c} sees the plot`);
        assert.match(view.text, /image\/png, 366×256, 16\.4 KB/);
      }
    }
    for (const i of [1, 2]) checkView(await call(clients.vscode, 'execute_notebook_cell', { path: 'analysis.ipynb', cell_index: i }), 'vscode', `execute_notebook_cell ${i}`);
    const cell = await call(clients.vscode, 'execute_notebook_cell', { path: 'analysis.ipynb', cell_id: nb.cells[4].id });
    assert.equal(cell.isError, false, cell.text);
    const cv = checkView(cell, 'vscode', 'execute_notebook_cell plot');
    assert.equal(cv.images.length, 1, 'VS Code sees the new plot');
    assert.equal(cv.images[0].mimeType, 'image/png');
    notebookKernel = cell.structured.kernel_id;
  });

  test('default execute calls reach each client whole, and a cut output names the read_output call in every view', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['20,000 printed lines', { code: 'for i in range(20000):\n    print(f"step {i} loss={1/(i+1):.6f}")' }],
      // Many outputs, each under --max-output-chars but 200k characters together.
      ['100 displays of 2,000 characters', { code: 'from IPython.display import display\nfor i in range(100):\n    display(f"row {i} " * 250)' }],
      ['a traceback', { code: 'def f(n):\n    return f(n + 1)\nf(0)' }],
    ];
    for (const c of CLIENTS) {
      const kernel_id = c === 'vscode' && notebookKernel ? notebookKernel : (await call(clients[c], 'start_kernel', {})).text.match(/Kernel started: (\S+)/)![1];
      try {
        for (const [what, args] of cases) {
          const r = await call(clients[c], 'execute_cell', { kernel_id, ...args });
          assert.equal(r.isError, false, r.text);
          checkView(r, c, `execute_cell ${what}`);
        }
        const cell = await call(clients[c], 'execute_notebook_cell', { path: f.longOutput, cell_id: 'train', kernel_id });
        assert.equal(cell.isError, false, cell.text);
        const v = checkView(cell, c, 'execute_notebook_cell 20,000 lines');
        // The cut note names the read_output call for the rest, in the view this client reads.
        assert.match(v.text, /read the rest with read_output \{\\*"path\\*":\\*"long-output\.ipynb\\*",\\*"cell_id\\*":\\*"train\\*",\\*"output_index\\*":0,\\*"offset\\*":\d+\}/);
      } finally {
        if (kernel_id !== notebookKernel) await call(clients[c], 'stop_kernel', { kernel_id });
      }
    }
  });

  test('search, list and every cut say what was left and what to call next, in the view each client reads', async () => {
    for (const c of CLIENTS) {
      const r = await call(clients[c], 'search_notebooks', { query: 'df' });
      assert.equal(r.isError, false, r.text);
      const view = checkView(r, c, 'search_notebooks df');
      // More lines match than fit: the advice and the counts reach every model.
      assert.match(view.text, /matching lines for \\*"df\\*" in \d+ of \d+ notebooks under the workspace root \(stopped at .*: more may match; for more pass a larger limit/);
      if (r.structured) {
        assert.equal(r.structured.truncated, true);
        assert.ok(r.structured.notebooks_searched <= r.structured.notebooks_found);
      }
      checkView(await call(clients[c], 'list_notebooks', {}), c, 'list_notebooks');
      checkView(await call(clients[c], 'list_runs', {}), c, 'list_runs');
      checkView(await call(clients[c], 'list_kernels', {}), c, 'list_kernels');
    }
  });

  test('error results are complete in their text (Claude Code drops structuredContent on errors), in every client', async () => {
    const r = await call(clients.vscode, 'read_output', { path: 'analysis.ipynb', index: 4, output_index: 7 });
    assert.equal(r.isError, true);
    for (const c of ['vscode', 'claude-code', 'roo'] as const) assert.equal(modelView(asResult(r), c).text, 'Cell 4 of analysis.ipynb has 1 output: output_index 0 to 0.');
    assert.equal(JSON.parse(modelView(asResult(r), 'cline').text).content[0].text, 'Cell 4 of analysis.ipynb has 1 output: output_index 0 to 0.');
    const past = await call(clients.vscode, 'read_output', { path: f.longOutput, cell_id: 'train', output_index: 0, offset: 10_000_000 });
    assert.match(past.text, /^offset 10000000 is past the end: this text has \d+ characters/);
  });

  test('result shape per client: Cline and old Claude Code get text (and images, when they show them); others get structuredContent; --result-shape overrides', async () => {
    const nb = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
    const args = { path: 'analysis.ipynb', cell_id: nb.cells[4].id, output_index: 0 };
    // What Claude Code before 2.1.197 shows its model from a structured result: no image (#54737).
    const structured = await call(clients['claude-code'], 'read_output', args);
    assert.equal(modelView(asResult(structured), 'claude-code', { oldClaudeCode: true }).images.length, 0);

    for (const [name, version, shape, images] of [
      ['claude-code', '2.1.100', 'text', 1],
      ['claude-code', '2.1.197', 'structured', 1],
      ['claude-code', '2.1.332', 'structured', 1],
      ['Visual Studio Code', '1.139.1', 'structured', 1],
      ['Roo Code', '3.30.0', 'structured', 1],
      ['Cline', '4.0.0', 'text', 0],
      ['Cline', '3.38.0', 'text', 1],
    ] as const) {
      const c = await connectAs(server.url, { name, version });
      try {
        const { tools } = await c.listTools();
        assert.equal(tools.every((t) => (shape === 'text' ? t.outputSchema === undefined : t.outputSchema !== undefined)), true, `${name} ${version}: output schemas`);
        const r = await call(c, 'read_output', args);
        assert.equal(r.structured === undefined, shape === 'text', `${name} ${version}: ${shape}`);
        assert.equal(r.content.filter((x) => x.type === 'image').length, images, `${name} ${version}: image blocks`);
        assert.match(r.text, /image\/png, 366×256/);
        // Paging hints are in the text when there is no structuredContent.
        const page = await call(c, 'read_notebook', { path: f.big471, format: 'full' });
        if (shape === 'text') assert.match(page.text, /Next page: read_notebook \{"path":"big471\.ipynb","format":"full","start_index":\d+\}|Next page: read_notebook \{"path":"big471\.ipynb","start_index":\d+\}/);
      } finally {
        await c.close();
      }
    }
    const textServer = await startServer({ root: ws.root, resultShape: 'text' });
    const c = await connectAs(textServer.url, 'vscode');
    try {
      const r = await call(c, 'read_notebook', { path: 'analysis.ipynb' });
      assert.equal(r.structured, undefined);
      assert.match(r.text, /^analysis\.ipynb: all 10 cells\.\n\{"path":"analysis\.ipynb"/);
      checkView(r, 'vscode', 'text shape');
    } finally {
      await c.close();
      await textServer.close();
    }
  });
});
