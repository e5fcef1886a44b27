// Notebooks as MCP resources, through the real SDK client over real HTTP (and stdio at the end):
// resources/list paged over a tree of a thousand notebooks, reads of the text view, the raw .ipynb,
// a cell and outputs (an image as a blob with its MIME type), the templates, bad URIs, and
// subscriptions: an edit by a tool and an edit on disk each send notifications/resources/updated,
// notebooks appearing and going send list_changed, and a session that goes away leaves no
// subscription behind. The change source polls here every 100 ms (1 s in the CLI) to keep it quick.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { call, connectClient, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { recordResourceEvents } from '../helpers/notifications';
import { findBase64 } from '../helpers/clientViews';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';
import { MAX_SUBSCRIPTIONS, PAGE_SIZE } from '../../src/server/resources';

const BIN = path.join(__dirname, '..', '..', 'bin', 'jupyter-mcp.js');
const FAST = { pollMs: 100, scanMs: 200, settleMs: 50, listingTtlMs: 0 };
const code = (e: unknown) => (e as { code?: number }).code;

function small(cells: string[] = ['print(1)']): string {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3', language: 'python' });
  cells.forEach((s, i) => nb.cells.push(makeCell('code', s, { id: `c${i}` })));
  return serializeNotebook(nb);
}

async function rejectsWith(p: Promise<unknown>, want: number, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal(code(e), want, `error code of ${String(e)}`);
    assert.match(String((e as Error).message), pattern);
    return true;
  });
}

describe('notebooks as resources over Streamable HTTP', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  const secret = 'bearer-token-never-in-a-uri-8d1f';
  const auth = { Authorization: `Bearer ${secret}` };
  before(async () => {
    ws = tempWorkspace(['analysis.ipynb', 'charts.ipynb', 'legacy-v44.ipynb']);
    // A tree of 1,200 notebooks in 12 folders, 3 fixtures, and a name that needs encoding.
    const body = small();
    for (let d = 0; d < 12; d++) {
      mkdirSync(path.join(ws.root, `batch${String(d).padStart(2, '0')}`));
      for (let i = 0; i < 100; i++) writeFileSync(path.join(ws.root, `batch${String(d).padStart(2, '0')}`, `nb${String(i).padStart(3, '0')}.ipynb`), body);
    }
    mkdirSync(path.join(ws.root, 'Données 📊'));
    writeFileSync(path.join(ws.root, 'Données 📊', 'a b#c.ipynb'), small(['x = "é"']));
    server = await startServer({ root: ws.root, authToken: secret, changes: FAST });
    client = await connectClient(server.url, auth);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
  });

  test('capabilities say what is served: resources with subscribe and listChanged, prompts (fixed list), completions', () => {
    const caps = client.getServerCapabilities();
    assert.deepEqual(caps?.resources, { subscribe: true, listChanged: true });
    assert.deepEqual(caps?.prompts, { listChanged: false });
    assert.deepEqual(caps?.completions, {});
    assert.equal(caps?.tools?.listChanged, false);
  });

  test('resources/list pages through 1,204 notebooks, 100 at a time, sorted, each once, no root or token in a URI', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      pages++;
      assert.ok(page.resources.length <= PAGE_SIZE, `page ${pages} has ${page.resources.length} entries`);
      for (const r of page.resources) {
        assert.equal(r.mimeType, 'text/markdown');
        assert.ok(!r.uri.includes(ws.root) && !r.uri.includes(secret), r.uri);
        assert.ok(r.uri.startsWith('notebook:///'), r.uri);
        assert.match(String(r.annotations?.lastModified), /^\d{4}-\d\d-\d\dT/);
        seen.push(r.name);
      }
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(pages, 13);
    assert.equal(seen.length, 1204);
    assert.equal(new Set(seen).size, 1204, 'no notebook twice');
    assert.deepEqual(seen, [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.ok(seen.includes('Données 📊/a b#c.ipynb'));
    assert.ok(seen.includes('batch11/nb099.ipynb'));
  });

  test('a notebook added between two pages shows on a later page; nothing repeats', async () => {
    const first = await client.listResources();
    writeFileSync(path.join(ws.root, 'zzz-late.ipynb'), small());
    try {
      const names = first.resources.map((r) => r.name);
      let cursor = first.nextCursor;
      while (cursor) {
        const page = await client.listResources({ cursor });
        names.push(...page.resources.map((r) => r.name));
        cursor = page.nextCursor;
      }
      assert.equal(new Set(names).size, names.length);
      assert.ok(names.includes('zzz-late.ipynb'));
    } finally {
      rmSync(path.join(ws.root, 'zzz-late.ipynb'));
    }
  });

  test('a cursor that was not handed out is refused with a message that says what to pass', async () => {
    await rejectsWith(client.listResources({ cursor: 'not a cursor!' }), -32602, /Invalid cursor.*nextCursor/);
  });

  test('the text view of a notebook: Markdown with sources, outputs as text, the plot named by URI, no base64', async () => {
    const r = await client.readResource({ uri: 'notebook:///analysis.ipynb.md' });
    assert.equal(r.contents.length, 1);
    const c = r.contents[0] as { uri: string; mimeType: string; text: string };
    assert.equal(c.mimeType, 'text/markdown');
    assert.match(c.text, /^# analysis\.ipynb\n/);
    assert.match(c.text, /## Cell 2 · code · id cb7e3919 · In \[2\]\n```python\nsales = rng\.normal/);
    assert.match(c.text, /months: 12/);
    assert.match(c.text, /image\/png 366×256, 16\.\d KB: notebook:\/\/\/analysis\.ipynb\/cells\/47d71fb2\/outputs\/0\.png/);
    assert.match(c.text, /ZeroDivisionError: division by zero/);
    assert.ok(!c.text.includes('\u001b['), 'ANSI codes stripped');
    assert.equal(findBase64(c.text), undefined, 'no base64 in the view');
  });

  test('an image output reads as a blob with its MIME type, the bytes saved in the notebook', async () => {
    const saved = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8')).cells[4].outputs[0].data['image/png'];
    const png = await client.readResource({ uri: 'notebook:///analysis.ipynb/cells/47d71fb2/outputs/0.png' });
    assert.equal(png.contents.length, 1);
    const blob = png.contents[0] as { uri: string; mimeType: string; blob: string };
    assert.equal(blob.mimeType, 'image/png');
    assert.equal(blob.uri, 'notebook:///analysis.ipynb/cells/47d71fb2/outputs/0.png');
    assert.equal(blob.blob, String(saved).replace(/\s+/g, ''));
    assert.equal(Buffer.from(blob.blob, 'base64').subarray(1, 4).toString('latin1'), 'PNG');
    // Without an extension: every form, the image first.
    const all = await client.readResource({ uri: 'notebook:///analysis.ipynb/cells/47d71fb2/outputs/0' });
    assert.deepEqual(all.contents.map((x) => x.mimeType), ['image/png', 'text/plain']);
    // One form by extension; a Plotly figure's JSON by .json.
    const html = await client.readResource({ uri: 'notebook:///analysis.ipynb/cells/011a163a/outputs/0.html' });
    assert.equal(html.contents[0].mimeType, 'text/html');
    assert.match(String((html.contents[0] as { text: string }).text), /<table>/);
    const plot = await client.readResource({ uri: 'notebook:///charts.ipynb/cells/fee63ca3/outputs/0.json' });
    assert.equal(plot.contents[0].mimeType, 'application/vnd.plotly.v1+json');
    assert.equal(JSON.parse(String((plot.contents[0] as { text: string }).text)).data[0].type, 'bar');
  });

  test('notebook:///<path>.ipynb is the file as saved; a cell reads as its own view; index:N names cells of a notebook without ids', async () => {
    const raw = await client.readResource({ uri: 'notebook:///analysis.ipynb' });
    assert.equal(raw.contents[0].mimeType, 'application/x-ipynb+json');
    assert.equal((raw.contents[0] as { text: string }).text, readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
    const cell = await client.readResource({ uri: 'notebook:///analysis.ipynb/cells/ce7596f2.md' });
    const text = String((cell.contents[0] as { text: string }).text);
    assert.match(text, /## Cell 6 · code · id ce7596f2/);
    assert.match(text, /def ratio\(a, b\)/);
    assert.ok(!text.includes('Cell 5'), 'one cell only');
    // The cell's ".md" may be left out.
    const legacy = await client.readResource({ uri: 'notebook:///legacy-v44.ipynb/cells/index%3A1' });
    assert.match(String((legacy.contents[0] as { text: string }).text), /x = 21/);
    const encoded = await client.readResource({ uri: `notebook:///${encodeURIComponent('Données 📊')}/${encodeURIComponent('a b#c.ipynb')}.md` });
    assert.match(String((encoded.contents[0] as { text: string }).text), /x = "é"/);
  });

  test('the templates: notebook view, the .ipynb, cell view, output', async () => {
    const t = await client.listResourceTemplates();
    assert.deepEqual(
      t.resourceTemplates.map((x) => x.uriTemplate),
      ['notebook:///{+path}.md', 'notebook:///{+path}', 'notebook:///{+path}/cells/{cell_id}.md', 'notebook:///{+path}/cells/{cell_id}/outputs/{output}'],
    );
  });

  test('a large notebook reads within the budget: the first cells in full, the rest one line each, and where to read on', async () => {
    const big = small(Array.from({ length: 600 }, (_, i) => `# cell ${i}\nprint(${'"x" * 40 +'.repeat(3)} "${i}")`));
    writeFileSync(path.join(ws.root, 'big.ipynb'), big);
    try {
      const r = await client.readResource({ uri: 'notebook:///big.ipynb.md' });
      const text = String((r.contents[0] as { text: string }).text);
      assert.ok(text.length <= server.context.limits.maxResultChars, `${text.length} characters`);
      assert.match(text, /## Cells \d+ to \d+, one line each/);
      assert.match(text, /read_notebook \{"path":"big\.ipynb","start_index":\d+\}/);
      assert.match(text, /notebook:\/\/\/big\.ipynb\/cells\/c\d+\.md/);
    } finally {
      rmSync(path.join(ws.root, 'big.ipynb'));
    }
  });

  describe('bad URIs get clear errors', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['file:///etc/passwd', -32602, /"file:" URIs are not served here/],
      ['notebook:///..%2F..%2Fetc%2Fx.ipynb', -32602, /holds a slash/],
      ['notebook:///../outside.ipynb', -32602, /empty, "\." or "\.\."/],
      ['notebook:////etc/passwd.ipynb', -32602, /empty, "\." or "\.\."/],
      ['notebook://host/a.ipynb', -32602, /no host part/],
      ['notebook:///a%zz.ipynb', -32602, /malformed percent-encoding/],
      ['notebook:///README.md', -32602, /names no notebook/],
      ['notebook:///analysis.ipynb?format=html', -32602, /has a query/],
      ['notebook:///analysis.md', -32602, /names no notebook/],
      ['notebook:///analysis.ipynb/cells/47d71fb2/outputs/0.exe', -32602, /unknown output extension/],
      ['notebook:///analysis.ipynb/cells/47d71fb2/stuff', -32602, /names nothing/],
      ['notebook:///missing.ipynb', -32002, /No notebook at missing\.ipynb.*resources\/list/],
      ['notebook:///analysis.ipynb/cells/nope', -32002, /No cell "nope" in analysis\.ipynb/],
      ['notebook:///analysis.ipynb/cells/47d71fb2/outputs/3', -32002, /has 1 output: outputs\/0 to outputs\/0/],
      ['notebook:///analysis.ipynb/cells/011a163a/outputs/0.png', -32002, /no image\/png form.*text\/html, text\/plain/],
      ['ui://jupyter-mcp/output-viewer', -32002, /not served to this client.*io\.modelcontextprotocol\/ui/],
    ];
    for (const [uri, want, pattern] of cases) {
      test(uri, async () => rejectsWith(client.readResource({ uri }), want, pattern));
    }

    test('a link inside the root to a notebook outside it, and a .ipynb link to a non-notebook, are refused like the tools refuse them', async () => {
      const outside = tempWorkspace(['unicode.ipynb']);
      symlinkSync(path.join(outside.root, 'unicode.ipynb'), path.join(ws.root, 'escape.ipynb'));
      writeFileSync(path.join(ws.root, 'package.json'), '{"scripts":{}}');
      symlinkSync(path.join(ws.root, 'package.json'), path.join(ws.root, 'fake.ipynb'));
      try {
        await rejectsWith(client.readResource({ uri: 'notebook:///escape.ipynb' }), -32602, /outside the workspace root/);
        await rejectsWith(client.readResource({ uri: 'notebook:///fake.ipynb' }), -32602, /not a notebook/);
        await rejectsWith(client.subscribeResource({ uri: 'notebook:///escape.ipynb' }), -32602, /outside the workspace root/);
      } finally {
        rmSync(path.join(ws.root, 'escape.ipynb'));
        rmSync(path.join(ws.root, 'fake.ipynb'));
        rmSync(path.join(ws.root, 'package.json'));
        outside.cleanup();
      }
    });
  });

  describe('subscriptions', () => {
    test('an edit by a tool sends notifications/resources/updated for each subscribed URI of that notebook, and only those', async () => {
      writeFileSync(path.join(ws.root, 'sub-a.ipynb'), small(['a = 1']));
      writeFileSync(path.join(ws.root, 'sub-b.ipynb'), small(['b = 1']));
      const c = await connectClient(server.url, auth);
      const ev = recordResourceEvents(c);
      try {
        await c.subscribeResource({ uri: 'notebook:///sub-a.ipynb.md' });
        await c.subscribeResource({ uri: 'notebook:///sub-a.ipynb/cells/c0.md' });
        await c.subscribeResource({ uri: 'notebook:///sub-b.ipynb' });
        const r = await call(c, 'update_cell', { path: 'sub-a.ipynb', cell_id: 'c0', source: 'a = 2' });
        assert.ok(!r.isError, r.text);
        await ev.until(() => ev.updated.length >= 2, 10_000, 'both URIs of sub-a.ipynb');
        assert.deepEqual([...ev.updated].sort(), ['notebook:///sub-a.ipynb.md', 'notebook:///sub-a.ipynb/cells/c0.md']);
        // The view read after the notification has the edit.
        const view = await c.readResource({ uri: 'notebook:///sub-a.ipynb/cells/c0.md' });
        assert.match(String((view.contents[0] as { text: string }).text), /a = 2/);
      } finally {
        await c.close();
      }
    });

    test('an edit on disk by another program is noticed (polling), and nothing comes after resources/unsubscribe', async () => {
      writeFileSync(path.join(ws.root, 'disk.ipynb'), small(['d = 1']));
      writeFileSync(path.join(ws.root, 'barrier.ipynb'), small(['z = 1']));
      const c = await connectClient(server.url, auth);
      const ev = recordResourceEvents(c);
      try {
        await c.subscribeResource({ uri: 'notebook:///disk.ipynb' });
        await c.subscribeResource({ uri: 'notebook:///barrier.ipynb' });
        writeFileSync(path.join(ws.root, 'disk.ipynb'), small(['d = 2  # edited outside']));
        await ev.until(() => ev.updated.includes('notebook:///disk.ipynb'), 10_000, 'the disk edit');
        await c.unsubscribeResource({ uri: 'notebook:///disk.ipynb' });
        ev.updated.length = 0;
        // disk.ipynb changes first, then barrier.ipynb: once barrier's update is in, disk's would be too.
        writeFileSync(path.join(ws.root, 'disk.ipynb'), small(['d = 3']));
        writeFileSync(path.join(ws.root, 'barrier.ipynb'), small(['z = 2']));
        await ev.until(() => ev.updated.includes('notebook:///barrier.ipynb'), 10_000, 'the barrier edit');
        assert.deepEqual(ev.updated, ['notebook:///barrier.ipynb']);
      } finally {
        await c.close();
      }
    });

    test('subscribing to a missing notebook, a bad URI or past the limit is refused', async () => {
      const c = await connectClient(server.url, auth);
      try {
        await rejectsWith(c.subscribeResource({ uri: 'notebook:///nothing-here.ipynb' }), -32002, /No notebook at nothing-here\.ipynb/);
        await rejectsWith(c.subscribeResource({ uri: 'http://example.com/x' }), -32602, /not served here/);
        await rejectsWith(c.subscribeResource({ uri: 'ui://jupyter-mcp/output-viewer' }), -32602, /only notebook/);
        for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) await c.subscribeResource({ uri: `notebook:///analysis.ipynb/cells/index%3A${i}` });
        await rejectsWith(c.subscribeResource({ uri: 'notebook:///charts.ipynb' }), -32602, new RegExp(`already holds ${MAX_SUBSCRIPTIONS} subscriptions.*unsubscribe`));
        await c.unsubscribeResource({ uri: 'notebook:///analysis.ipynb/cells/index%3A0' });
        await c.subscribeResource({ uri: 'notebook:///charts.ipynb' });
      } finally {
        await c.close();
      }
    });

  });

  describe('a session that goes away leaves nothing behind', () => {
    test('Streamable HTTP: DELETE of the session drops its subscriptions, its listener and its list interest', async () => {
      const base = server.changes!.stats();
      const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: auth } });
      const c = new Client({ name: 'goes-away', version: '1' });
      await c.connect(transport);
      await c.listResources();
      await c.subscribeResource({ uri: 'notebook:///analysis.ipynb' });
      await c.subscribeResource({ uri: 'notebook:///charts.ipynb' });
      const during = server.changes!.stats();
      assert.equal(during.subscriptions, base.subscriptions + 2);
      assert.equal(during.listeners, base.listeners + 1);
      assert.equal(during.listInterest, base.listInterest + 1);
      await transport.terminateSession();
      await c.close();
      await waitFor(() => JSON.stringify(server.changes!.stats()) === JSON.stringify(base), 10_000);
      assert.deepEqual(server.changes!.stats(), base);
    });

    test('legacy SSE: a dropped connection drops its subscriptions', async () => {
      const base = server.changes!.stats();
      const c = new Client({ name: 'sse-goes-away', version: '1' });
      await c.connect(new SSEClientTransport(new URL(server.url.replace(/\/mcp$/, '/sse')), { requestInit: { headers: auth }, eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...auth } }) } }));
      await c.subscribeResource({ uri: 'notebook:///analysis.ipynb' });
      assert.equal(server.changes!.stats().subscriptions, base.subscriptions + 1);
      await c.close();
      await waitFor(() => JSON.stringify(server.changes!.stats()) === JSON.stringify(base), 10_000);
      assert.deepEqual(server.changes!.stats(), base);
    });
  });
});

describe('list_changed', () => {
  // A small tree of its own: the walk that notices files on disk waits 20 times its own duration
  // between two walks, so on a loaded machine a 1,200-notebook tree is walked only every few seconds.
  test('when a tool creates a notebook, and when one appears or goes on disk, after the client listed', { timeout: 90_000 }, async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    mkdirSync(path.join(ws.root, 'sub'));
    const server = await startServer({ root: ws.root, changes: FAST });
    const c = await connectClient(server.url);
    const ev = recordResourceEvents(c);
    try {
      await c.listResources();
      let n = ev.listChanged;
      assert.ok(!(await call(c, 'create_notebook', { path: 'made-by-tool.ipynb' })).isError);
      await ev.until(() => ev.listChanged > n, 10_000, 'list_changed after create_notebook');
      n = ev.listChanged;
      writeFileSync(path.join(ws.root, 'sub', 'appeared.ipynb'), small());
      await ev.until(() => ev.listChanged > n, 20_000, 'list_changed after a file appeared');
      assert.ok((await c.listResources()).resources.some((r) => r.name === 'sub/appeared.ipynb'));
      n = ev.listChanged;
      rmSync(path.join(ws.root, 'sub', 'appeared.ipynb'));
      await ev.until(() => ev.listChanged > n, 20_000, 'list_changed after a file went');
    } finally {
      await c.close();
      await server.close();
      ws.cleanup();
    }
  });
});

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stdio serves the same surface as HTTP', () => {
  test('same capabilities; subscribe → a tool edit → updated; templates, prompts and completion answer', { timeout: 60_000 }, async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    writeFileSync(path.join(ws.root, 'live.ipynb'), small(['v = 1']));
    const http = await startServer({ root: ws.root });
    const httpClient = await connectClient(http.url);
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--stdio', '--offline', '--root', ws.root], stderr: 'pipe' });
    const c = new Client({ name: 'stdio-surface', version: '1' });
    try {
      await c.connect(transport);
      assert.deepEqual(c.getServerCapabilities(), httpClient.getServerCapabilities());
      const ev = recordResourceEvents(c);
      await c.subscribeResource({ uri: 'notebook:///live.ipynb' });
      assert.ok(!(await call(c, 'update_cell', { path: 'live.ipynb', cell_id: 'c0', source: 'v = 2' })).isError);
      await ev.until(() => ev.updated.includes('notebook:///live.ipynb'), 10_000, 'updated over stdio');
      assert.equal((await c.listResourceTemplates()).resourceTemplates.length, 4);
      assert.equal((await c.listPrompts()).prompts.length, 4);
      const done = await c.complete({ ref: { type: 'ref/resource', uri: 'notebook:///{+path}' }, argument: { name: 'path', value: 'li' } });
      assert.deepEqual(done.completion.values, ['live.ipynb']);
      // Polling is what the CLI has for edits by other programs (1 s).
      writeFileSync(path.join(ws.root, 'live.ipynb'), small(['v = 3']));
      const n = ev.updated.length;
      await ev.until(() => ev.updated.length > n, 15_000, 'the disk edit over stdio');
    } finally {
      await c.close();
      await httpClient.close();
      await http.close();
      ws.cleanup();
    }
  });
});
