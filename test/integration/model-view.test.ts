// What each client's MODEL reads from this server's results (issue #10), computed with the client
// rules of test/helpers/clientViews.ts over real results: the real server over real HTTP, the real
// SDK client, the real fixtures plus generated notebooks (471 cells ≈ 2.8 MB, 5,000 cells, a
// 20,000-line output) and a real Jupyter server for the execute tools.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, connectClient, startServer, tempWorkspace, type CallResult, type TestServer } from '../helpers/mcp';
import { startJupyterServer, type TestJupyter } from '../helpers/jupyter';
import { allViews, CLIENTS, findBase64, modelView, type ResultLike } from '../helpers/clientViews';
import { longStreamText, writeModelFixtures } from '../helpers/modelFixtures';
import { DEFAULTS } from '../../src/config';
import { stripAnsi } from '../../src/kernels/outputs';

const BUDGET = DEFAULTS.maxResultChars;

function asResult(r: CallResult): ResultLike {
  return { content: r.content, structuredContent: r.structured, isError: r.isError };
}

/** Every client's view fits the budget and holds no base64; returns the views. */
function checkViews(r: CallResult, what: string, budget = BUDGET) {
  const views = allViews(asResult(r));
  for (const c of CLIENTS) {
    assert.ok(views[c].chars <= budget, `${what}: ${c} reads ${views[c].chars} characters (budget ${budget})`);
    const b64 = findBase64(views[c].text);
    assert.equal(b64, undefined, `${what}: base64 in ${c}'s view: ${b64}`);
  }
  return views;
}

async function namedClient(url: string, name: string, version: string): Promise<Client> {
  const client = new Client({ name, version });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('what the model sees', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let jupyter: TestJupyter;
  let server: TestServer;
  let client: Client;
  let f: ReturnType<typeof writeModelFixtures>;
  /** The analysis notebook's kernel, started by the plot test and reused by the execute test. */
  let notebookKernel: string | undefined;

  before(async () => {
    ws = tempWorkspace(['analysis.ipynb', 'unicode.ipynb', 'legacy-v44.ipynb']);
    f = writeModelFixtures(ws.root);
    jupyter = await startJupyterServer({ rootDir: ws.root });
    server = await startServer({ root: ws.root, timeoutMs: 120_000, jupyter: { url: jupyter.url, token: jupyter.token, offline: false } });
    client = await connectClient(server.url);
  });

  after(async () => {
    await client?.close();
    await server?.close();
    await jupyter?.stop();
    ws?.cleanup();
  });

  test('default read calls fit the budget in every client view, with no base64', async () => {
    for (const nb of ['analysis.ipynb', 'unicode.ipynb', 'legacy-v44.ipynb', f.big471, f.big5000, f.longOutput]) {
      for (const format of [undefined, 'outline', 'source', 'raw']) {
        const r = await call(client, 'read_notebook', { path: nb, ...(format ? { format } : {}) });
        assert.equal(r.isError, false, r.text);
        const views = checkViews(r, `read_notebook ${nb} ${format ?? ''}`);
        // What to call next is in both views: the structured JSON and the text.
        if (r.structured.next) {
          const hint = `read_notebook ${JSON.stringify(r.structured.next.arguments)}`;
          assert.ok(r.text.includes(hint), `text view names the next call: ${hint}`);
          assert.ok(views.vscode.text.includes(JSON.stringify(r.structured.next.arguments)), 'structured view names the next call');
        }
      }
    }
    // The 471-cell notebook (2.8 MB, 697k tokens before) and 5,000 cells: a page, the outline and the next call.
    const big = await call(client, 'read_notebook', { path: f.big471 });
    assert.ok(big.structured.returned > 5 && big.structured.returned < 471, `returned ${big.structured.returned}`);
    assert.ok(big.structured.outline.length > 50, 'the cells after the page are outlined');
    assert.deepEqual(big.structured.next, { tool: 'read_notebook', arguments: { path: f.big471, start_index: big.structured.returned } });
  });

  // The 5,000-cell notebook is paged whole in outline form and, in full form, from cell 4,800 to
  // its end (the same pager as the 471-cell run; ≈ 200 full pages would only make the test slow).
  test('paging with the hints visits every cell exactly once (full, raw and outline; 471 and 5,000 cells)', async () => {
    for (const [nb, from, total, format] of [
      [f.big471, 0, 471, undefined],
      [f.big471, 0, 471, 'raw'],
      [f.big5000, 0, 5000, 'outline'],
      [f.big5000, 4800, 5000, undefined],
    ] as const) {
      const seen: number[] = [];
      let args: Record<string, unknown> | undefined = { path: nb, ...(format ? { format } : {}), ...(from ? { start_index: from } : {}) };
      for (let pages = 0; args; pages++) {
        assert.ok(pages < total, 'paging ends');
        const r = await call(client, 'read_notebook', args);
        assert.equal(r.isError, false, r.text);
        checkViews(r, `page ${JSON.stringify(args)}`);
        if (format === 'outline') seen.push(...r.structured.outline.map((l: string) => Number(/^\[(\d+)\]/.exec(l)![1])));
        else seen.push(...r.structured.notebook.cells.map((c: { index: number }) => c.index));
        assert.equal(r.structured.next?.tool ?? 'read_notebook', 'read_notebook');
        args = r.structured.next?.arguments;
      }
      assert.deepEqual(seen, Array.from({ length: total - from }, (_, i) => from + i), `${nb} ${format ?? 'full'}: every cell once, in order`);
    }
  });

  test('a small budget still pages every cell exactly once, each page under it in every view', async () => {
    const small = await startServer({ root: ws.root, maxResultChars: 4000 });
    const c = await connectClient(small.url);
    try {
      for (const [nb, from] of [[f.big471, 400], [f.longOutput, 0], ['analysis.ipynb', 0]] as const) {
        const total = JSON.parse(readFileSync(path.join(ws.root, nb), 'utf8')).cells.length;
        const seen: number[] = [];
        let args: Record<string, unknown> | undefined = { path: nb, ...(from ? { start_index: from } : {}) };
        while (args) {
          const r = await call(c, 'read_notebook', args);
          assert.equal(r.isError, false, r.text);
          checkViews(r, `small page ${JSON.stringify(args)}`, 4000);
          seen.push(...r.structured.notebook.cells.map((x: { index: number }) => x.index));
          args = r.structured.next?.arguments;
        }
        assert.deepEqual(seen, Array.from({ length: total - from }, (_, i) => from + i), nb);
      }
    } finally {
      await c.close();
      await small.close();
    }
  });

  test('a 20,000-line output: read_notebook shows its head and tail and the read_output call; paging it returns the whole text', async () => {
    const r = await call(client, 'read_notebook', { path: f.longOutput });
    const out = r.structured.notebook.cells[1].outputs[0].text as string;
    const full = longStreamText();
    assert.ok(out.startsWith('step 0 loss=1.000000'), 'head kept');
    assert.ok(out.endsWith('step 19999 loss=0.000050 acc=1.0000\n'), 'tail kept: the last loss matters');
    const m = /Read the rest with read_output (\{[^}]*\})/.exec(out);
    assert.ok(m, out.slice(0, 3000));
    const first = JSON.parse(m[1]);
    assert.deepEqual(first, { path: f.longOutput, cell_id: 'train', output_index: 0, offset: first.offset });
    assert.equal(full.slice(0, first.offset), out.slice(0, first.offset), 'the offset is where the shown head ends');
    // Follow read_output's next calls from the start: the pieces are the output, in order, once.
    let text = '';
    let args: Record<string, unknown> | undefined = { ...first, offset: 0 };
    for (let n = 0; args; n++) {
      assert.ok(n < 100);
      const p = await call(client, 'read_output', args);
      assert.equal(p.isError, false, p.text);
      checkViews(p, `read_output ${JSON.stringify(args)}`);
      assert.equal(p.structured.offset, text.length);
      text += p.structured.text;
      if (p.structured.next) assert.ok(p.text.includes(JSON.stringify(p.structured.next.arguments)), 'text view names the next call');
      args = p.structured.next?.arguments;
    }
    assert.equal(text, full);
  });

  test('a plot reaches the model as an image in every client view (read_output and execute_notebook_cell)', async () => {
    const nb = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
    const png = nb.cells[4].outputs[0].data['image/png'].replace(/\s+/g, '');
    const r = await call(client, 'read_output', { path: 'analysis.ipynb', cell_id: nb.cells[4].id, output_index: 0 });
    assert.equal(r.isError, false, r.text);
    const views = checkViews(r, 'read_output plot');
    for (const c of CLIENTS) assert.deepEqual(views[c].images, [{ data: png, mimeType: 'image/png' }], `${c} sees the plot`);
    assert.match(views.vscode.text, /image\/png, 366×256, 16\.4 KB/);
    assert.match(views.roo.text, /image\/png, 366×256, 16\.4 KB; the image follows/);

    for (const i of [1, 2]) checkViews(await call(client, 'execute_notebook_cell', { path: 'analysis.ipynb', cell_index: i }), `execute_notebook_cell ${i}`);
    const cell = await call(client, 'execute_notebook_cell', { path: 'analysis.ipynb', cell_id: nb.cells[4].id });
    assert.equal(cell.isError, false, cell.text);
    const cv = checkViews(cell, 'execute_notebook_cell plot');
    for (const c of CLIENTS) assert.equal(cv[c].images.length, 1, `${c} sees the new plot`);
    assert.equal(cv.vscode.images[0].mimeType, 'image/png');
    notebookKernel = cell.structured.kernel_id;
  });

  test('default execute calls fit the budget in every client view', async () => {
    const kernel_id = notebookKernel ?? (await call(client, 'start_kernel', {})).structured.kernel_id;
    {
      const cases: Array<[string, Record<string, unknown>]> = [
        ['20,000 printed lines', { code: 'for i in range(20000):\n    print(f"step {i} loss={1/(i+1):.6f}")' }],
        // Many outputs, each under --max-output-chars but 200k characters together.
        ['100 displays of 2,000 characters', { code: 'from IPython.display import display\nfor i in range(100):\n    display(f"row {i} " * 250)' }],
        ['a traceback', { code: 'def f(n):\n    return f(n + 1)\nf(0)' }],
      ];
      for (const [what, args] of cases) {
        const r = await call(client, 'execute_cell', { kernel_id, ...args });
        assert.equal(r.isError, false, r.text);
        checkViews(r, `execute_cell ${what}`);
      }
      const cell = await call(client, 'execute_notebook_cell', { path: f.longOutput, cell_id: 'train', kernel_id });
      assert.equal(cell.isError, false, cell.text);
      const v = checkViews(cell, 'execute_notebook_cell 20,000 lines');
      // The cut note names the read_output call for the rest, in both views.
      for (const c of CLIENTS) assert.match(v[c].text, /read the rest with read_output \{\\?"path\\?":\\?"long-output\.ipynb\\?",\\?"cell_id\\?":\\?"train\\?",\\?"output_index\\?":0,\\?"offset\\?":\d+\}/);
    }
  });

  test('error results are complete in their text (Claude Code drops structuredContent on errors)', async () => {
    const r = await call(client, 'read_output', { path: 'analysis.ipynb', index: 4, output_index: 7 });
    assert.equal(r.isError, true);
    for (const c of CLIENTS) assert.equal(modelView(asResult(r), c).text, 'Cell 4 of analysis.ipynb has 1 output: output_index 0 to 0.');
    const past = await call(client, 'read_output', { path: f.longOutput, cell_id: 'train', output_index: 0, offset: 10_000_000 });
    assert.match(past.text, /^offset 10000000 is past the end: this text has \d+ characters/);
  });

  test('result shape per client: old Claude Code gets text and images (it dropped images beside structuredContent); others get structuredContent; --result-shape overrides', async () => {
    const nb = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
    const args = { path: 'analysis.ipynb', cell_id: nb.cells[4].id, output_index: 0 };
    // What Claude Code before 2.1.197 shows its model from a structured result: no image (#54737).
    const structured = await call(client, 'read_output', args);
    assert.equal(modelView(asResult(structured), 'claude-code', { oldClaudeCode: true }).images.length, 0);

    for (const [name, version, shape] of [
      ['claude-code', '2.1.100', 'text'],
      ['claude-code', '2.1.197', 'structured'],
      ['claude-code', '2.1.332', 'structured'],
      ['Visual Studio Code', '1.106.0', 'structured'],
      ['Roo Code', '3.30.0', 'structured'],
    ] as const) {
      const c = await namedClient(server.url, name, version);
      try {
        const { tools } = await c.listTools();
        assert.equal(tools.every((t) => (shape === 'text' ? t.outputSchema === undefined : t.outputSchema !== undefined)), true, `${name} ${version}: output schemas`);
        const r = await call(c, 'read_output', args);
        assert.equal(r.structured === undefined, shape === 'text', `${name} ${version}: ${shape}`);
        const view = modelView(asResult(r), name === 'claude-code' ? 'claude-code' : name === 'Roo Code' ? 'roo' : 'vscode', { oldClaudeCode: version === '2.1.100' });
        assert.equal(view.images.length, 1, `${name} ${version}: the model sees the plot`);
        assert.match(view.text, /image\/png, 366×256/);
        // Paging hints are in the text when there is no structuredContent.
        const page = await call(c, 'read_notebook', { path: f.big471 });
        if (shape === 'text') assert.match(page.text, /Next page: read_notebook \{"path":"big471\.ipynb","start_index":\d+\}/);
      } finally {
        await c.close();
      }
    }
    const textServer = await startServer({ root: ws.root, resultShape: 'text' });
    const c = await connectClient(textServer.url);
    try {
      const r = await call(c, 'read_notebook', { path: 'analysis.ipynb' });
      assert.equal(r.structured, undefined);
      assert.match(r.text, /^analysis\.ipynb: all 10 cells\.\n\{"path":"analysis\.ipynb"/);
      checkViews(r, 'text shape');
    } finally {
      await c.close();
      await textServer.close();
    }
  });
});
