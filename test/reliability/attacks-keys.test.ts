// Issue #18, items 9, 10 and 11: names and keys that come from outside, against the real HTTP
// server with a real MCP client on real files.
// - Item 9: a hard link inside the root to a notebook outside it is not read, searched or edited;
//   write_notebook may still replace the name (that breaks the link; the outside file is untouched).
// - Item 10: a path with a newline (or another control character) is refused with a clear error,
//   such files are not listed, and no log line can be forged through a path.
// - Item 11: read_output's mime "constructor" / "toString" / "__proto__" is "no such form", never a
//   raw TypeError; a "__proto__" key in cell metadata is kept by add_cell and update_cell.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient, startServer, type TestServer } from '../helpers/mcp';
import { hashTree, tempDir } from '../helpers/reliability';
import { createStreamLogger } from '../../src/util/log';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

function notebookWith(...sources: string[]): string {
  const nb = emptyNotebook({ name: 'python3' });
  sources.forEach((s, i) => nb.cells.push(makeCell('markdown', s, { id: `c${i}` })));
  return serializeNotebook(nb);
}

describe('names and keys from outside (issue #18 items 9, 10, 11)', () => {
  let ws: { root: string; cleanup(): void };
  let outside: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  const logLines: string[] = [];

  before(async () => {
    ws = tempDir('jmcp-keys-');
    outside = tempDir('jmcp-keys-outside-');
    writeFileSync(path.join(outside.root, 'secret.ipynb'), notebookWith('TOP SECRET: the merger closes on Friday'));
    mkdirSync(path.join(ws.root, 'sub'));
    linkSync(path.join(outside.root, 'secret.ipynb'), path.join(ws.root, 'sub', 'linked.ipynb'));
    writeFileSync(path.join(ws.root, 'plain.ipynb'), notebookWith('an ordinary notebook'));
    // A file whose name holds a newline, put there by someone else.
    writeFileSync(path.join(ws.root, 'evil\n2026-01-01T00:00:00.000Z info  tool write_notebook ok.ipynb'), notebookWith('x'));
    const out = {
      cells: [{ cell_type: 'code', execution_count: 1, id: 'out', metadata: {}, outputs: [{ output_type: 'execute_result', execution_count: 1, data: { 'text/plain': ['42'] }, metadata: {} }], source: ['6 * 7'] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    writeFileSync(path.join(ws.root, 'out.ipynb'), JSON.stringify(out, null, 1) + '\n');
    server = await startServer({ root: ws.root, log: createStreamLogger('debug', (l) => logLines.push(l)) });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
    outside?.cleanup();
  });

  test('item 9: a hard link to a notebook outside the root is not read, searched or edited', async () => {
    const outsideBefore = hashTree(outside.root);
    const attempts = [
      await call(client, 'read_notebook', { path: 'sub/linked.ipynb' }),
      await call(client, 'read_output', { path: 'sub/linked.ipynb', index: 0 }),
      await call(client, 'search_notebooks', { path: 'sub/linked.ipynb', query: 'SECRET' }),
      await call(client, 'add_cell', { path: 'sub/linked.ipynb', cell_type: 'markdown', source: 'mine now' }),
      await call(client, 'update_cell', { path: 'sub/linked.ipynb', index: 0, source: 'changed' }),
    ];
    for (const r of attempts) {
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /has 2 names \(hard links\).*outside the workspace root.*not read/s, r.text);
      assert.ok(!r.text.includes('TOP SECRET'));
    }
    // A search of the whole root skips it, saying so, and leaks nothing.
    const all = await call(client, 'search_notebooks', { query: 'SECRET' });
    assert.equal(all.isError, false, all.text);
    assert.equal(all.structured.matches.length, 0, all.text);
    assert.match(all.text, /sub\/linked\.ipynb: .*hard links/);
    assert.deepEqual(hashTree(outside.root), outsideBefore);
    // Replacing the name is allowed: the link is broken and the outside file keeps its bytes.
    const w = await call(client, 'write_notebook', { path: 'sub/linked.ipynb', content: JSON.parse(notebookWith('replaced')), overwrite: true });
    assert.equal(w.isError, false, w.text);
    assert.deepEqual(hashTree(outside.root), outsideBefore);
    assert.equal(statSync(path.join(ws.root, 'sub', 'linked.ipynb')).nlink, 1);
    assert.equal((await call(client, 'read_notebook', { path: 'sub/linked.ipynb' })).isError, false);
  });

  test('item 10: paths with control characters are refused, not listed, and cannot forge log lines', async () => {
    const before = hashTree(ws.root);
    const forged = 'x.ipynb\n2026-01-01T00:00:00.000Z info  tool write_notebook ok 0.1 ms';
    for (const p of [forged, 'a\rb.ipynb', 'bell\u0007.ipynb', 'esc\u001b[2J.ipynb', 'sep\u2028x.ipynb', 'evil\n2026-01-01T00:00:00.000Z info  tool write_notebook ok.ipynb']) {
      for (const [tool, args] of [
        ['read_notebook', { path: p }],
        ['create_notebook', { path: p, notebook: JSON.parse(notebookWith('x')) }],
        ['add_cell', { path: p, cell_type: 'markdown', source: 'x' }],
      ] as const) {
        const r = await call(client, tool, args);
        assert.equal(r.isError, true, `${tool} ${JSON.stringify(p)}: ${r.text}`);
        assert.match(r.text, /contains a control character .*paths must be one line/, r.text);
      }
    }
    assert.deepEqual(hashTree(ws.root), before, 'a file changed');
    const listed = await call(client, 'list_notebooks', { recursive: true });
    assert.ok(!JSON.stringify(listed.structured).includes('evil'), listed.text);
    assert.ok(logLines.length > 0);
    for (const l of logLines) assert.doesNotMatch(l, /[\n\r\u0007\u001b\u2028]/, `a log line holds a control character: ${JSON.stringify(l)}`);
    assert.ok(logLines.some((l) => l.includes('x.ipynb\\n2026-01-01')), 'the refused path is logged, escaped');
  });

  test('item 11: read_output with mime "constructor", "toString", "__proto__" says there is no such form', async () => {
    for (const mime of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const r = await call(client, 'read_output', { path: 'out.ipynb', cell_id: 'out', output_index: 0, mime });
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, new RegExp(`has no ${mime} form; it has: text/plain`), r.text);
      assert.doesNotMatch(r.text, /TypeError|is not a function|Cannot read/);
    }
  });

  test('item 11: a "__proto__" key in cell metadata is kept by add_cell and update_cell', async () => {
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "tags": ["keep"]}');
    const added = await call(client, 'add_cell', { path: 'plain.ipynb', cell_type: 'code', source: 'x = 1', metadata: meta });
    assert.equal(added.isError, false, added.text);
    const updated = await call(client, 'update_cell', { path: 'plain.ipynb', index: 0, metadata: meta });
    assert.equal(updated.isError, false, updated.text);
    const saved = JSON.parse(readFileSync(path.join(ws.root, 'plain.ipynb'), 'utf8'));
    for (const cell of [saved.cells[0], saved.cells[1]]) {
      assert.deepEqual(Object.keys(cell.metadata), ['__proto__', 'tags'], JSON.stringify(cell.metadata));
      assert.deepEqual(Object.getOwnPropertyDescriptor(cell.metadata, '__proto__')?.value, { polluted: true });
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    // And it comes back to the model as a key.
    const read = await call(client, 'read_notebook', { path: 'plain.ipynb', format: 'raw' });
    assert.match(read.text, /"__proto__":\{"polluted":true\}/);
  });
});
