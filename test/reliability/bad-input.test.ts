// Bad input: every case gets a clear error, the server stays up, and no file changes (hashes of the
// whole workspace and of a folder next to it are compared before and after). Tool parameters are
// attacked from the inputSchemas tools/list publishes, so a new tool or parameter is covered
// without editing this file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync, readdirSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient, FIXTURES, ok, startServer, type TestServer } from '../helpers/mcp';
import { hashTree, raw, rawSession, rpcMessages, tempDir, settledTempFiles } from '../helpers/reliability';
import { z } from 'zod';
import { TOOLS } from '../../src/tools';

const fullInputSchemas = new Map(TOOLS.map((t) => [t.name, z.toJSONSchema(z.object(t.inputSchema), { io: 'input', unrepresentable: 'any' })]));

const NB = (cells: unknown[] = [], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5, ...extra }, null, 1) + '\n';

describe('bad input: clear error, server up, nothing changed', () => {
  let ws: { root: string; cleanup(): void };
  let outside: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  let port: number;
  let before_: { ws: Record<string, string>; out: Record<string, string> };
  const MAX_BODY = 1024 * 1024;

  before(async () => {
    ws = tempDir('jmcp-rel-bad-');
    outside = tempDir('jmcp-rel-outside-');
    for (const f of ['analysis.ipynb', 'truncated.ipynb', 'nbformat3.ipynb', 'unicode.ipynb']) cpSync(path.join(FIXTURES, f), path.join(ws.root, f));
    writeFileSync(path.join(outside.root, 'secret.ipynb'), NB([{ cell_type: 'code', id: 'x1', source: ['secret = 1'], metadata: {}, outputs: [], execution_count: null }]));
    writeFileSync(path.join(outside.root, 'other.txt'), 'outside\n');
    // Files that are not notebooks, or notebooks that are not valid.
    writeFileSync(path.join(ws.root, 'notes.txt'), 'not a notebook\n');
    writeFileSync(path.join(ws.root, 'data.json'), NB());
    writeFileSync(path.join(ws.root, 'text.ipynb'), 'this is not JSON at all\n');
    writeFileSync(path.join(ws.root, 'empty.ipynb'), '');
    writeFileSync(path.join(ws.root, 'binary.ipynb'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x81, 0x00]));
    writeFileSync(path.join(ws.root, 'array.ipynb'), '[1, 2, 3]\n');
    writeFileSync(path.join(ws.root, 'nocells.ipynb'), JSON.stringify({ metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    writeFileSync(path.join(ws.root, 'cellsnotlist.ipynb'), JSON.stringify({ cells: {}, metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    writeFileSync(path.join(ws.root, 'unknowntype.ipynb'), NB([{ cell_type: 'widget', id: 'w1', source: [], metadata: {} }]));
    writeFileSync(path.join(ws.root, 'nbformat5.ipynb'), NB([], { nbformat: 5 }));
    writeFileSync(path.join(ws.root, 'dupids.ipynb'), NB([{ cell_type: 'raw', id: 'a', source: [], metadata: {} }, { cell_type: 'raw', id: 'a', source: [], metadata: {} }]));
    mkdirSync(path.join(ws.root, 'folder.ipynb'));
    writeFileSync(path.join(ws.root, 'folder.ipynb', 'inside.txt'), 'x');
    execFileSync('mkfifo', [path.join(ws.root, 'pipe.ipynb')]);
    // Ways out of the root.
    symlinkSync(path.join(outside.root, 'secret.ipynb'), path.join(ws.root, 'link-out.ipynb'));
    symlinkSync(outside.root, path.join(ws.root, 'dir-out'));
    symlinkSync('/dev/zero', path.join(ws.root, 'zero.ipynb'));
    server = await startServer({ root: ws.root, maxBodyBytes: MAX_BODY });
    port = server.http.port;
    client = await connectClient(server.url);
    before_ = { ws: hashTree(ws.root), out: hashTree(outside.root) };
  });

  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
    outside?.cleanup();
  });

  const assertUnchanged = (what: string) => {
    assert.deepEqual(hashTree(ws.root), before_.ws, `${what}: the workspace changed`);
    assert.deepEqual(hashTree(outside.root), before_.out, `${what}: the folder outside the root changed`);
  };
  const assertUp = async () => {
    const h = await raw(port, { method: 'GET', path: '/healthz' });
    assert.equal(h.status, 200, 'server still answers /healthz');
    const r = await call(client, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' });
    assert.equal(r.isError, false, 'the existing session still works');
  };

  describe('malformed JSON-RPC and HTTP', () => {
    test('bodies that are not JSON-RPC: 4xx with a JSON-RPC error, never 5xx', async () => {
      const sid = await rawSession(port);
      const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
      const cases: Array<[string, string | Buffer, Record<string, string>]> = [
        ['truncated JSON', '{"jsonrpc": "2.0", "id": 1, "method": "tools/li', h],
        ['empty body', '', h],
        ['not UTF-8', Buffer.from([0xff, 0xfe, 0xfd]), h],
        ['a number', '42', h],
        ['null', 'null', h],
        ['a string', '"tools/list"', h],
        ['an empty batch', '[]', h],
        ['an object without jsonrpc', '{"id": 1, "method": "tools/list"}', h],
        ['jsonrpc 1.0', '{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', h],
        ['method not a string', '{"jsonrpc": "2.0", "id": 1, "method": 7}', h],
        ['id an object', '{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}', h],
        ['garbage in a batch', '[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, 5]', h],
        ['no session, not initialize', '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}', {}],
        ['initialize with params of the wrong type', '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": "x"}', {}],
      ];
      for (const [what, body, headers] of cases) {
        const r = await raw(port, { body, headers });
        assert.ok(r.status >= 400 && r.status < 500, `${what}: HTTP ${r.status} ${r.body}`);
        const msgs = rpcMessages(r.body);
        assert.ok(msgs.length >= 1 && msgs.every((m) => m.error && typeof m.error.message === 'string' && m.error.message.length > 5), `${what}: ${r.body}`);
      }
      await assertUp();
      assertUnchanged('malformed JSON-RPC');
    });

    test('unknown methods get -32601; unknown tools and bad call params get clear errors', async () => {
      const sid = await rawSession(port);
      const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
      const rpc = async (method: string, params?: unknown) => {
        const r = await raw(port, { body: JSON.stringify({ jsonrpc: '2.0', id: 9, method, ...(params === undefined ? {} : { params }) }), headers: h });
        return { status: r.status, msg: rpcMessages(r.body)[0] };
      };
      for (const m of ['nope', 'tools/nope', 'resources/nope', 'prompts/nope', '../../etc/passwd', 'x'.repeat(10_000)]) {
        const { msg } = await rpc(m, {});
        assert.equal(msg.error?.code, -32601, `${m.slice(0, 30)}: ${JSON.stringify(msg)}`);
      }
      // Served methods with bad params: an error, not a crash. Params of the wrong shape fail the
      // SDK's schema check (-32603 with zod's message, as for tools/call); well-formed ones that name
      // nothing get this server's invalid-params answer (docs/RESOURCES.md).
      for (const [m, params] of [['resources/read', {}], ['resources/read', { uri: 5 }], ['completion/complete', {}]] as const) {
        const { status, msg } = await rpc(m, params);
        assert.ok(status < 500, `${m}: HTTP ${status}`);
        assert.ok(msg.error?.code === -32602 || msg.error?.code === -32603, `${m} ${JSON.stringify(params)}: ${JSON.stringify(msg)}`);
      }
      for (const [m, params, pattern] of [['resources/subscribe', { uri: '' }, /URI is empty/], ['resources/read', { uri: 'notebook:///../x.ipynb' }, /"\.\."/], ['prompts/get', { name: 'nope' }, /Prompt nope not found/]] as const) {
        const { msg } = await rpc(m, params);
        assert.equal(msg.error?.code, -32602, `${m} ${JSON.stringify(params)}: ${JSON.stringify(msg)}`);
        assert.match(msg.error.message, pattern);
      }
      const unknownTool = await rpc('tools/call', { name: 'rm_rf', arguments: {} });
      const unknownText = JSON.stringify(unknownTool.msg);
      assert.match(unknownText, /rm_rf not found|Tool rm_rf/);
      for (const params of [{}, { name: 5 }, { name: 'read_notebook', arguments: 'path=analysis.ipynb' }, { name: 'read_notebook', arguments: [1] }, 'x', null]) {
        const { status, msg } = await rpc('tools/call', params);
        assert.ok(status < 500, `${JSON.stringify(params)}: HTTP ${status}`);
        assert.ok(msg.error || msg.result?.isError, `${JSON.stringify(params)}: ${JSON.stringify(msg)}`);
      }
      // A notification (no id) for an unknown method is ignored without an error body.
      const note = await raw(port, { body: '{"jsonrpc": "2.0", "method": "notifications/nope"}', headers: h });
      assert.ok(note.status === 202 || note.status === 200, `notification: ${note.status}`);
      await assertUp();
      assertUnchanged('unknown methods');
    });

    test('oversize requests get 413 (declared, chunked, and one tool argument), and nothing is written', async () => {
      const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_cell', arguments: { path: 'analysis.ipynb', cell_type: 'code', source: 'x'.repeat(MAX_BODY + 10) } } });
      const declared = await raw(port, { body: big });
      assert.equal(declared.status, 413);
      assert.match(rpcMessages(declared.body)[0].error.message, /Request too large/);
      // Chunked (no content-length): the server counts while reading.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = require('http').request({ host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'transfer-encoding': 'chunked' } }, (res: any) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(413) : reject(e)));
        // Valid JSON as far as it goes (a string that never ends), so the size limit is what stops it:
        // a body malformed earlier is refused at its first bad byte (400) before reaching the limit.
        req.write('{"jsonrpc": "2.0", "params": "');
        for (let i = 0; i < 20; i++) req.write('x'.repeat(100_000));
        req.end();
      });
      assert.equal(chunked, 413);
      // Through a real client: the tool call fails as a whole and the notebook is untouched.
      const r = await call(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'code', source: 'y'.repeat(MAX_BODY) }).catch((e) => ({ isError: true, text: String(e) }));
      assert.equal(r.isError, true);
      assert.match(r.text, /413|too large/i);
      await assertUp();
      assertUnchanged('oversize');
    });

    test('deeply nested JSON inside the size limit: an error, not a crash', async () => {
      const depth = 50_000;
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const sid = await rawSession(port);
      const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
      const body = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add_cell","arguments":{"path":"analysis.ipynb","cell_type":"code","source":"x","metadata":{"deep":${nested}}}}}`;
      const r = await raw(port, { body, headers: h });
      assert.ok(r.status < 500, `HTTP ${r.status}`);
      const msg = rpcMessages(r.body)[0];
      assert.ok(msg.error || msg.result?.isError, r.body.slice(0, 300));
      await assertUp();
      assertUnchanged('deep nesting');
    });
  });

  describe('agent changes', () => {
    test('a revert with nothing to revert, of unknown cells, of a missing notebook: a clear answer, nothing changed', async () => {
      const none = await ok(client, 'agent_changes', { path: 'analysis.ipynb', action: 'revert' });
      assert.match(none.message, /^Nothing to revert of jupyter-mcp-tests in analysis\.ipynb: no agent changes are recorded \(never made, already accepted or reverted\)\.$/);
      assert.deepEqual(none.reverted, []);
      const unknown = await ok(client, 'agent_changes', { path: 'analysis.ipynb', action: 'revert', cell_ids: ['no-such-cell'] });
      assert.match(unknown.message, /Nothing to revert/);
      const listed = await ok(client, 'agent_changes', { path: 'analysis.ipynb' });
      assert.match(listed.message, /^No agent changes recorded in analysis\.ipynb/);
      const missing = await call(client, 'agent_changes', { path: 'nope.ipynb' });
      assert.equal(missing.isError, true);
      assert.match(missing.text, /File not found/);
      for (const p of ['text.ipynb', 'folder.ipynb', 'notes.txt']) {
        const r = await call(client, 'agent_changes', { path: p });
        assert.equal(r.isError, true, p);
      }
      await assertUp();
      assertUnchanged('agent_changes');
    });
  });

  describe('every tool parameter: wrong types and missing fields (from tools/list)', () => {
    test('each is refused with a message naming the parameter', async () => {
      const { tools } = await client.listTools();
      assert.ok(tools.length >= 18);
      const base = (schema: any): Record<string, unknown> => {
        const out: Record<string, unknown> = {};
        for (const k of schema.required ?? []) out[k] = validValue(k, schema.properties[k]);
        return out;
      };
      let cases = 0;
      for (const tool of tools) {
        // The schema the server validates with: tools/list leaves out what says little to a model
        // (e.g. minLength 1), and the attack should still try an empty string there.
        const schema = (fullInputSchemas.get(tool.name) ?? tool.inputSchema) as any;
        const props: Record<string, any> = schema.properties ?? {};
        // Missing each required field.
        for (const k of schema.required ?? []) {
          const args = base(schema);
          delete args[k];
          const r = await call(client, tool.name, args);
          assert.equal(r.isError, true, `${tool.name} without ${k}`);
          assert.ok(r.text.includes(k), `${tool.name} without ${k}: ${r.text}`);
          cases++;
        }
        // Each property with each wrong value.
        for (const [k, p] of Object.entries(props)) {
          for (const bad of wrongValues(p)) {
            const args = { ...base(schema), [k]: bad };
            const r = await call(client, tool.name, args);
            assert.equal(r.isError, true, `${tool.name}.${k} = ${JSON.stringify(bad)?.slice(0, 40)} was accepted: ${r.text.slice(0, 200)}`);
            assert.ok(r.text.includes(k), `${tool.name}.${k} = ${JSON.stringify(bad)?.slice(0, 40)}: ${r.text.slice(0, 300)}`);
            cases++;
          }
        }
        // Arguments that are not an object at all.
        const r = await call(client, tool.name, undefined as never).catch((e) => ({ isError: true, text: String(e) }));
        if ((schema.required ?? []).length > 0) assert.equal(r.isError, true, `${tool.name} with no arguments`);
      }
      assert.ok(cases > 100, `${cases} cases`);
      await assertUp();
      assertUnchanged('wrong parameters');
    });
  });

  describe('paths', () => {
    const escaping = (root: string, out: string) => [
      '../secret.ipynb',
      'sub/../../secret.ipynb',
      `../${path.basename(out)}/secret.ipynb`,
      path.join(out, 'secret.ipynb'),
      path.join(out, 'new.ipynb'),
      `file://${path.join(out, 'secret.ipynb')}`,
      'link-out.ipynb',
      'dir-out/secret.ipynb',
      'dir-out/new.ipynb',
      'dir-out/sub/new.ipynb',
      'zero.ipynb',
      '/etc/passwd.ipynb',
      `${root}/../${path.basename(out)}/secret.ipynb`,
    ];

    test('.., absolute outside, file:// outside, symlinks out: refused by every path tool', async () => {
      for (const p of escaping(ws.root, outside.root)) {
        const attempts: Array<[string, Record<string, unknown>]> = [
          ['read_notebook', { path: p }],
          ['add_cell', { path: p, cell_type: 'code', source: 'pwned = 1' }],
          ['update_cell', { path: p, index: 0, source: 'pwned' }],
          ['clear_outputs', { path: p }],
          ['write_notebook', { path: p, content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }, overwrite: true }],
          ['create_notebook', { path: p, overwrite: true }],
          ['execute_notebook', { path: p }],
          ['agent_changes', { path: p, action: 'revert' }],
        ];
        for (const [tool, args] of attempts) {
          const r = await call(client, tool, args);
          assert.equal(r.isError, true, `${tool} ${p}`);
          assert.match(r.text, /outside the workspace root/, `${tool} ${p}: ${r.text}`);
          assert.ok(!r.text.includes('secret = 1'), 'nothing from outside leaks');
        }
      }
      for (const folder of ['..', outside.root, 'dir-out', '../..', '/']) {
        const r = await call(client, 'list_notebooks', { folder });
        assert.equal(r.isError, true, folder);
        assert.match(r.text, /outside the workspace root/, folder);
      }
      assertUnchanged('escaping paths');
      assert.deepEqual(readdirSync(path.dirname(ws.root)).filter((f) => f === 'secret.ipynb' || f === 'new.ipynb'), []);
    });

    test('NUL, control characters and odd unicode: refused or handled, never outside the root', async () => {
      const odd = [
        ['a\0b.ipynb', /NUL character/],
        ['analysis.ipynb\0.txt', /NUL character/],
        ['', /Invalid arguments|path/],
        ['   ', /empty/],
        ['x'.repeat(300) + '.ipynb', /name too long|ENAMETOOLONG|File not found/i],
        ['..\\..\\secret.ipynb', /File not found/], // backslashes are name characters on POSIX
        ['..hidden.ipynb', /File not found/], // a name starting with dots is not ".."
        ['sub/..', /not a notebook path/],
        ['%2e%2e/secret.ipynb', /File not found/],
        ['\u202Ebynpi.txt', /not a notebook path/],
        ['ana\u200Blysis.ipynb', /File not found/],
        ['file://%zz', /not a valid file URI|not a notebook path|File not found/],
        // Paths are one line (issue #18 item 10): refused before the file system is asked.
        ['line\nbreak.ipynb', /contains a control character \(\\n at position 4\)/],
      ] as const;
      for (const [p, pattern] of odd) {
        const r = await call(client, 'read_notebook', { path: p });
        assert.equal(r.isError, true, JSON.stringify(p));
        assert.match(r.text, pattern, `${JSON.stringify(p)}: ${r.text}`);
        const a = await call(client, 'add_cell', { path: p, cell_type: 'code', source: 'x' });
        assert.equal(a.isError, true, JSON.stringify(p));
      }
      // Names that are legal and odd work (and stay inside the root).
      for (const p of ['ünïcödé 📓.ipynb', 'e\u0301.ipynb', 'RTL-\u05D0\u05D1.ipynb']) {
        await ok(client, 'create_notebook', { path: p });
        await ok(client, 'add_cell', { path: p, cell_type: 'markdown', source: p });
        const r = await ok(client, 'read_notebook', { path: p });
        assert.equal(r.notebook.cells[0].source, p); // the model view gives a source as one string
      }
      const listed = (await ok(client, 'list_notebooks', {})).notebooks.map((n: any) => n.path);
      assert.ok(listed.includes('ünïcödé 📓.ipynb'), listed.join(', '));
      // A name stored decomposed (NFD, as macOS writes it) resolves whether typed NFD or NFC, and the
      // name list_notebooks shows always leads back to the same file.
      const nfd = 'cafe\u0301-nfd.ipynb';
      writeFileSync(path.join(ws.root, nfd), NB());
      const shown = (await ok(client, 'list_notebooks', {})).notebooks.map((n: any) => n.path).find((n: string) => n.normalize('NFC') === nfd.normalize('NFC'));
      assert.equal(shown, nfd);
      for (const spelling of [shown, nfd.normalize('NFC')]) assert.equal((await ok(client, 'read_notebook', { path: spelling })).path, nfd, spelling);
      await ok(client, 'add_cell', { path: nfd.normalize('NFC'), cell_type: 'raw', source: 'r' });
      assert.deepEqual(readdirSync(ws.root).filter((f) => f.normalize('NFC') === nfd.normalize('NFC')), [nfd], 'edited in place, no NFC twin');
      require('fs').rmSync(path.join(ws.root, nfd));
      // A NUL smuggled in through a file:// URI.
      const nulUri = await call(client, 'read_notebook', { path: `file://${ws.root}/analysis%00.ipynb` });
      assert.match(nulUri.text, /NUL character/);
      assert.equal((await settledTempFiles(ws.root)).length, 0);
      assertUnchangedExcept(['ünïcödé 📓.ipynb', 'e\u0301.ipynb'.normalize('NFC'), 'RTL-\u05D0\u05D1.ipynb']);
      await assertUp();
    });

    const assertUnchangedExcept = (created: string[]) => {
      const now = hashTree(ws.root);
      for (const c of created) {
        assert.ok(now[c], `${c} was created`);
        delete now[c];
      }
      assert.deepEqual(now, before_.ws);
      assert.deepEqual(hashTree(outside.root), before_.out);
      for (const c of created) require('fs').rmSync(path.join(ws.root, c));
    };
  });

  describe('files that are not (valid) notebooks', () => {
    const cases: Array<[string, RegExp]> = [
      ['folder.ipynb', /is a folder, not a notebook file/],
      ['notes.txt', /not a notebook path: notebook files end in \.ipynb/],
      ['data.json', /not a notebook path/],
      ['text.ipynb', /^Invalid notebook format: text\.ipynb: not valid JSON/],
      ['empty.ipynb', /^Invalid notebook format: empty\.ipynb: not valid JSON/],
      ['binary.ipynb', /^Invalid notebook format: binary\.ipynb: not valid UTF-8/],
      ['array.ipynb', /^Invalid notebook format: array\.ipynb: expected a JSON object/],
      ['truncated.ipynb', /^Invalid notebook format: truncated\.ipynb: not valid JSON/],
      ['nbformat3.ipynb', /^Invalid notebook format: nbformat3\.ipynb: nbformat 3 is not supported.*nbconvert/],
      ['nbformat5.ipynb', /^Invalid notebook format: nbformat5\.ipynb: nbformat 5 is not supported/],
      ['nocells.ipynb', /^Invalid notebook format: nocells\.ipynb: "cells" must be a list/],
      ['cellsnotlist.ipynb', /^Invalid notebook format: cellsnotlist\.ipynb: "cells" must be a list/],
      ['unknowntype.ipynb', /^Invalid notebook format: unknowntype\.ipynb cell 0: unknown cell_type "widget"/],
      ['dupids.ipynb', /^Invalid notebook format: dupids\.ipynb cell 1: duplicate cell id "a"/],
      ['pipe.ipynb', /not a regular file/],
    ];
    test('every reading and editing tool reports them and leaves them untouched', async () => {
      for (const [name, pattern] of cases) {
        const attempts: Array<[string, Record<string, unknown>]> = [
          ['read_notebook', { path: name }],
          ['read_notebook', { path: name, format: 'outline' }],
          ['add_cell', { path: name, cell_type: 'code', source: 'x' }],
          ['update_cell', { path: name, index: 0, source: 'x' }],
          ['edit_cell_source', { path: name, index: 0, old_string: 'a', new_string: 'b' }],
          ['move_cell', { path: name, index: 0, to_index: 0 }],
          ['remove_cell', { path: name, index: 0 }],
          ['clear_outputs', { path: name }],
          ['write_notebook', { path: name, content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 } }],
          ['create_notebook', { path: name }],
        ];
        for (const [tool, args] of attempts) {
          const started = Date.now();
          const r = await call(client, tool, args, { timeout: 10_000 });
          assert.equal(r.isError, true, `${tool} ${name}`);
          // write/create on an existing file refuse before reading it: that is also fine.
          const p = tool === 'write_notebook' ? new RegExp(`${pattern.source}|has not read it|already exists`) : tool === 'create_notebook' ? new RegExp(`${pattern.source}|already exists`) : pattern;
          assert.match(r.text, p, `${tool} ${name}: ${r.text.slice(0, 300)}`);
          assert.ok(Date.now() - started < 5000, `${tool} ${name} answered promptly`);
        }
      }
      // list_notebooks never lists a folder or a FIFO as a notebook.
      const listed = (await ok(client, 'list_notebooks', {})).notebooks.map((n: any) => n.path);
      assert.ok(!listed.includes('folder.ipynb') && !listed.includes('pipe.ipynb') && !listed.includes('notes.txt'), listed.join(', '));
      await assertUp();
      assertUnchanged('invalid notebooks');
    });

    test('write_notebook with invalid content (each kind above) writes nothing', async () => {
      const bad: unknown[] = [
        'not json',
        '{"cells": [',
        [1, 2],
        { metadata: {}, nbformat: 4, nbformat_minor: 5 },
        { cells: [], metadata: {}, nbformat: 3, nbformat_minor: 0 },
        { cells: [{ cell_type: 'widget', source: '' }], metadata: {}, nbformat: 4, nbformat_minor: 5 },
        { cells: [{ cell_type: 'code', source: 5, metadata: {} }], metadata: {}, nbformat: 4, nbformat_minor: 5 },
        { cells: [{ cell_type: 'code', id: 'bad id!', source: '', metadata: {} }], metadata: {}, nbformat: 4, nbformat_minor: 5 },
        { cells: [{ cell_type: 'code', source: '', metadata: {}, outputs: [{ no: 'type' }] }], metadata: {}, nbformat: 4, nbformat_minor: 5 },
        { cells: [], metadata: [], nbformat: 4, nbformat_minor: 5 },
      ];
      for (const content of bad) {
        for (const target of ['analysis.ipynb', 'brand-new.ipynb']) {
          const r = await call(client, 'write_notebook', { path: target, content, overwrite: true });
          assert.equal(r.isError, true, JSON.stringify(content));
          assert.match(r.text, /^Invalid notebook format: content|Invalid input at content/, r.text);
        }
      }
      await assertUp();
      assertUnchanged('invalid write_notebook content');
    });
  });
});

/** A value the schema accepts (used for the other required fields while one is attacked). */
function validValue(name: string, p: any): unknown {
  if (name === 'path') return 'analysis.ipynb';
  if (p.enum) return p.enum[0];
  if (p.anyOf) return validValue(name, p.anyOf[0]);
  switch (p.type) {
    case 'string':
      return 'x';
    case 'integer':
    case 'number':
      return Math.max(0, p.minimum ?? 0);
    case 'boolean':
      return false;
    case 'object':
      return {};
    case 'array':
      return [];
    default:
      return 'x';
  }
}

/** Values of the wrong type, or outside the schema's constraints, for one property. */
function wrongValues(p: any): unknown[] {
  const types = new Set<string>(p.anyOf ? p.anyOf.map((x: any) => x.type) : [p.type]);
  const out: unknown[] = [];
  if (!types.has('string')) out.push('seven');
  if (!types.has('number') && !types.has('integer')) out.push(7);
  if (!types.has('boolean')) out.push(true);
  if (!types.has('object')) out.push({ a: 1 });
  if (!types.has('array')) out.push(['x']);
  out.push(null);
  if (p.enum) out.push('not-one-of-' + p.enum.join('-'));
  if (types.has('integer')) out.push(1.5);
  if ((types.has('integer') || types.has('number')) && typeof p.minimum === 'number') out.push(p.minimum - 1);
  if ((types.has('integer') || types.has('number')) && typeof p.maximum === 'number') out.push(p.maximum + 1);
  if (types.has('string') && p.minLength >= 1) out.push('');
  return out;
}
