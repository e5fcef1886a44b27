// The notebook tools through a real MCP client over real Streamable HTTP, on real notebooks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readFileSync, statSync, writeFileSync, symlinkSync, mkdirSync, existsSync, readdirSync } from 'fs';
import { createHash } from 'crypto';
import * as path from 'path';
import { execFileSync } from 'child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient, FIXTURES, ok, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
/** Validates a notebook file with the real nbformat library (Debian's python3-nbformat). */
function nbformatValidate(p: string): void {
  execFileSync('/usr/bin/python3', ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))', p]);
}

describe('notebook tools over Streamable HTTP', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let server: TestServer;
  let client: Client;

  before(async () => {
    ws = tempWorkspace(['analysis.ipynb', 'legacy-v44.ipynb', 'unicode.ipynb', 'truncated.ipynb', 'nbformat3.ipynb']);
    server = await startServer({ root: ws.root });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
    ws.cleanup();
  });

  test('every tool describes every parameter, declares annotations and an output schema', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const seed of ['read_notebook', 'create_notebook', 'write_notebook', 'add_cell', 'remove_cell', 'update_cell']) assert.ok(names.includes(seed), seed);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    assert.equal(byName.read_notebook.annotations?.readOnlyHint, true);
    assert.equal(byName.remove_cell.annotations?.destructiveHint ?? true, true);
    assert.equal(byName.add_cell.annotations?.destructiveHint, false);
    for (const t of tools) {
      assert.ok(t.description && t.description.length > 20, `${t.name} description`);
      assert.ok(t.outputSchema, `${t.name} outputSchema`);
      assert.equal(typeof t.annotations?.readOnlyHint, 'boolean', `${t.name} readOnlyHint`);
      // Hints equal to MCP's defaults are left out (destructive true, openWorld true, idempotent false).
      const destructive = t.annotations?.destructiveHint ?? true;
      if (t.annotations?.readOnlyHint) assert.equal(destructive, false, `${t.name}: read-only tools are not destructive`);
      for (const [field, schema] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, any>)) {
        assert.ok(schema.description, `${t.name}.${field} has no description`);
      }
    }
  });

  test('read_notebook returns the notebook (seed contract) with model-ready cells: text outputs, plots as read_output placeholders, no base64', async () => {
    const r = await ok(client, 'read_notebook', { path: './analysis.ipynb' });
    const onDisk = readJson(path.join(ws.root, 'analysis.ipynb'));
    assert.equal(r.notebook.cells.length, 10);
    assert.equal(r.returned, 10);
    assert.equal(r.next, undefined);
    assert.equal(r.store, 'file');
    assert.equal(r.notebook.metadata.kernelspec.name, 'python3');
    // Contract change: sources are one string, outputs are what the model can read.
    r.notebook.cells.forEach((c: any, i: number) => {
      assert.equal(c.id, onDisk.cells[i].id);
      assert.equal(c.source, onDisk.cells[i].source.join(''));
    });
    const plot = r.notebook.cells[4].outputs[0];
    assert.match(plot.data['image/png'], /^\[image\/png image 366×256, 16\.4 KB, not included here; to see it: read_output \{"path":"analysis\.ipynb","cell_id":"47d71fb2","output_index":0\}\]$/);
    assert.ok(!JSON.stringify(r).includes('iVBOR'), 'no base64 anywhere in the result');
    const err = r.notebook.cells[6].outputs[0];
    assert.equal(err.ename, 'ZeroDivisionError');
    assert.ok(!err.traceback.join('\n').includes('\u001b'), 'ANSI stripped');
  });

  test('read_notebook format "raw" gives the nbformat JSON of cells, base64 replaced by the read_output call', async () => {
    const r = await ok(client, 'read_notebook', { path: 'analysis.ipynb', format: 'raw' });
    const onDisk = readJson(path.join(ws.root, 'analysis.ipynb'));
    assert.deepEqual(r.notebook.metadata.custom_tool, { keep: ['me', 1, true] });
    r.notebook.cells.forEach((c: any, i: number) => {
      const { index, ...cell } = c;
      assert.equal(index, i);
      if (i !== 4) assert.deepEqual(cell, onDisk.cells[i]);
    });
    assert.deepEqual(r.notebook.cells[4].outputs[0].data['text/plain'], onDisk.cells[4].outputs[0].data['text/plain']);
    assert.match(r.notebook.cells[4].outputs[0].data['image/png'], /16\.4 KB of base64 left out; to see it: read_output \{"path":"analysis\.ipynb","cell_id":"47d71fb2","output_index":0,"mime":"image\/png"\}/);
    assert.ok(!JSON.stringify(r).includes('iVBOR'));
  });

  test('seed flow: writing read_notebook\'s notebook back (to a copy) restores outputs and images, keeping changes', async () => {
    for (const format of [undefined, 'raw', 'source']) {
      const r = await ok(client, 'read_notebook', { path: 'analysis.ipynb', ...(format ? { format } : {}) });
      r.notebook.metadata.title = 'Nouveau titre';
      r.notebook.cells[0].source = '# Changed title';
      const copy = `copy-${format ?? 'full'}.ipynb`;
      await ok(client, 'write_notebook', { path: copy, content: r.notebook });
      const want = readJson(path.join(ws.root, 'analysis.ipynb'));
      want.metadata.title = 'Nouveau titre';
      want.cells[0].source = ['# Changed title'];
      assert.deepEqual(readJson(path.join(ws.root, copy)), want, `format ${format ?? 'full'}`);
      nbformatValidate(path.join(ws.root, copy));
    }
    // One page of a view is not the notebook: writing it would drop the other cells.
    const page = await ok(client, 'read_notebook', { path: 'analysis.ipynb', limit: 3 });
    const refused = await call(client, 'write_notebook', { path: 'page.ipynb', content: page.notebook });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /one page of read_notebook's view of analysis\.ipynb .*nothing was written/);
    assert.equal(existsSync(path.join(ws.root, 'page.ipynb')), false);
  });

  test('read_notebook outline is compact: one line per cell with id, type, first line, output kinds, no base64', async () => {
    const r = await call(client, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' });
    assert.equal(r.isError, false);
    // Contract change: outline entries are lines (the same as the text), not objects; since issue
    // #19 short ones ("[index] id type lines #count: first line -> outputs"), explained in the note.
    assert.equal(r.structured.outline[4], '[4] 47d71fb2 code 4L #4: fig, ax = plt.subplots(figsize=(4, 2.5)) -> png');
    assert.equal(r.structured.outline[3], '[3] c4f2b2b7 code 4L #3: import sys -> stdout 18, stderr 28');
    assert.match(r.structured.outline[6], /^\[6\] ce7596f2 code 4L #6: def ratio\(a, b\): -> error ZeroDivisionError$/);
    assert.match(r.structured.note, /Outline lines: \[index\] cell_id type, source lines \(L\), #execution count: first line -> outputs/);
    assert.ok(!r.text.includes('iVBOR'), 'no image data in the outline text');
    assert.ok(r.text.length < 1500, `outline text is ${r.text.length} chars`);
    assert.match(r.text, /\[6\] \w+ code .*def ratio/);
  });

  test('read_notebook pages with start_index/limit and can leave outputs out', async () => {
    const r = await ok(client, 'read_notebook', { path: 'analysis.ipynb', start_index: 2, limit: 3, include_outputs: false });
    assert.equal(r.cell_count, 10);
    assert.equal(r.returned, 3);
    assert.equal(r.notebook.cells.length, 3);
    assert.deepEqual(r.notebook.cells.map((c: any) => c.index), [2, 3, 4]);
    assert.ok(r.notebook.cells.every((c: any) => c.outputs === undefined));
    assert.deepEqual(r.next, { tool: 'read_notebook', arguments: { path: 'analysis.ipynb', format: 'source', start_index: 5, limit: 3 } });
    const past = await call(client, 'read_notebook', { path: 'analysis.ipynb', start_index: 50 });
    assert.equal(past.isError, true);
    assert.match(past.text, /the notebook has 10 cells/);
  });

  test('create_notebook + add_cell: multi-line sources keep their newlines and the file validates', async () => {
    const created = await ok(client, 'create_notebook', { path: './nouveau-notebook.ipynb', kernel: 'python3' });
    assert.equal(created.success, true);
    assert.equal(created.notebook.cells.length, 0);
    const a = await ok(client, 'add_cell', { path: './nouveau-notebook.ipynb', cell_type: 'code', source: 'import math\n\nfor i in range(3):\n    print(math.sqrt(i))', metadata: { tags: ['example'] } });
    assert.equal(a.cell_index, 0);
    const b = await ok(client, 'add_cell', { path: './nouveau-notebook.ipynb', cell_type: 'markdown', source: '# Titre\n\nCeci est un paragraphe.' });
    assert.equal(b.cell_index, 1);
    const c = await ok(client, 'add_cell', { path: 'nouveau-notebook.ipynb', cell_type: 'raw', source: 'first', index: 0 });
    assert.equal(c.cell_index, 0);
    const d = await ok(client, 'add_cell', { path: 'nouveau-notebook.ipynb', cell_type: 'code', source: 'x = 1', after_cell_id: a.cell_id });
    assert.equal(d.cell_index, 2);
    const file = path.join(ws.root, 'nouveau-notebook.ipynb');
    const nb = readJson(file);
    assert.deepEqual(nb.cells.map((x: any) => x.cell_type), ['raw', 'code', 'code', 'markdown']);
    assert.deepEqual(nb.cells[1].source, ['import math\n', '\n', 'for i in range(3):\n', '    print(math.sqrt(i))']);
    assert.deepEqual(nb.cells[1].metadata, { tags: ['example'] });
    assert.equal(nb.cells[1].id, a.cell_id);
    assert.equal(nb.metadata.kernelspec.name, 'python3');
    assert.ok(readFileSync(file, 'utf8').endsWith('}\n'));
    nbformatValidate(file);
  });

  test('update_cell, edit_cell_source, move_cell and remove_cell address cells by stable id', async () => {
    await ok(client, 'create_notebook', { path: 'edit.ipynb' });
    const ids: string[] = [];
    for (const s of ['a = 1', 'b = 2', 'c = 3']) ids.push((await ok(client, 'add_cell', { path: 'edit.ipynb', cell_type: 'code', source: s })).cell_id);
    const u = await ok(client, 'update_cell', { path: 'edit.ipynb', cell_id: ids[1], source: 'b = 20\nprint(b)' });
    assert.equal(u.cell_index, 1);
    assert.match(u.message, /Cell updated successfully in notebook: edit\.ipynb/);
    const e = await ok(client, 'edit_cell_source', { path: 'edit.ipynb', cell_id: ids[1], old_string: 'b = 20', new_string: 'b = 200' });
    assert.equal(e.replacements, 1);
    const m = await ok(client, 'move_cell', { path: 'edit.ipynb', cell_id: ids[2], to_index: 0 });
    assert.deepEqual([m.from_index, m.to_index], [2, 0]);
    // After the move, index 2 is ids[1]; the id still finds it.
    const r = await ok(client, 'remove_cell', { path: 'edit.ipynb', cell_id: ids[0] });
    assert.equal(r.removed_index, 1);
    assert.match(r.message, /Cell removed successfully from notebook: edit\.ipynb/);
    const nb = readJson(path.join(ws.root, 'edit.ipynb'));
    assert.deepEqual(nb.cells.map((c: any) => c.id), [ids[2], ids[1]]);
    assert.deepEqual(nb.cells[1].source, ['b = 200\n', 'print(b)']);
    const t = await ok(client, 'update_cell', { path: 'edit.ipynb', index: 1, cell_type: 'markdown' });
    assert.equal(t.cell_id, ids[1]);
    assert.equal(readJson(path.join(ws.root, 'edit.ipynb')).cells[1].outputs, undefined);
  });

  test('edit_cell_source refuses ambiguous or missing text and changes nothing', async () => {
    await ok(client, 'create_notebook', { path: 'amb.ipynb' });
    await ok(client, 'add_cell', { path: 'amb.ipynb', cell_type: 'code', source: 'x = 1\nx = 1' });
    const file = path.join(ws.root, 'amb.ipynb');
    const before = sha(file);
    const twice = await call(client, 'edit_cell_source', { path: 'amb.ipynb', index: 0, old_string: 'x = 1', new_string: 'y' });
    assert.equal(twice.isError, true);
    assert.match(twice.text, /occurs 2 times.*replace_all/);
    const none = await call(client, 'edit_cell_source', { path: 'amb.ipynb', index: 0, old_string: 'zzz', new_string: 'y' });
    assert.match(none.text, /not found in cell 0/);
    assert.equal(sha(file), before);
    const all = await ok(client, 'edit_cell_source', { path: 'amb.ipynb', index: 0, old_string: 'x = 1', new_string: 'y = 2', replace_all: true });
    assert.equal(all.replacements, 2);
  });

  test('clear_outputs empties one cell or all code cells', async () => {
    const one = await ok(client, 'clear_outputs', { path: 'analysis.ipynb', index: 2 });
    assert.equal(one.cleared, 1);
    let nb = readJson(path.join(ws.root, 'analysis.ipynb'));
    assert.deepEqual(nb.cells[2].outputs, []);
    assert.equal(nb.cells[2].execution_count, null);
    assert.ok(nb.cells[4].outputs.length > 0);
    const all = await ok(client, 'clear_outputs', { path: 'analysis.ipynb' });
    assert.ok(all.cleared >= 4);
    nb = readJson(path.join(ws.root, 'analysis.ipynb'));
    assert.ok(nb.cells.every((c: any) => c.cell_type !== 'code' || c.outputs.length === 0));
    assert.deepEqual(nb.metadata.custom_tool, { keep: ['me', 1, true] });
  });

  test('write_notebook: the seed flow (read, change metadata, write elsewhere) works', async () => {
    const r = await ok(client, 'read_notebook', { path: 'unicode.ipynb' });
    r.notebook.metadata.title = 'Nouveau titre';
    const w = await ok(client, 'write_notebook', { path: './mon-notebook-modifié.ipynb', content: r.notebook });
    assert.equal(w.success, true);
    assert.equal(w.message, 'Notebook written successfully: mon-notebook-modifié.ipynb');
    assert.equal(w.created, true);
    const nb = readJson(path.join(ws.root, 'mon-notebook-modifié.ipynb'));
    assert.equal(nb.metadata.title, 'Nouveau titre');
    assert.equal(nb.cells[0].source[0], '# Données 📊 — 数据\n');
  });

  test('write_notebook never silently overwrites: unread file, stale read, then explicit overwrite', async () => {
    const file = path.join(ws.root, 'legacy-v44.ipynb');
    const before = sha(file);
    const content = readJson(file);
    content.metadata.title = 'x';
    const fresh = await connectClient(server.url); // a session that never read it
    const unread = await call(fresh, 'write_notebook', { path: 'legacy-v44.ipynb', content });
    assert.equal(unread.isError, true);
    assert.match(unread.text, /has not read it; nothing was written/);
    const read = await ok(fresh, 'read_notebook', { path: 'legacy-v44.ipynb' });
    // Someone else changes the file after our read.
    await ok(client, 'add_cell', { path: 'legacy-v44.ipynb', cell_type: 'code', source: 'print("other agent")' });
    const afterOther = sha(file);
    assert.notEqual(afterOther, before);
    const stale = await call(fresh, 'write_notebook', { path: 'legacy-v44.ipynb', content: read.notebook });
    assert.equal(stale.isError, true);
    assert.match(stale.text, /changed on disk since it was read; nothing was written/);
    assert.equal(sha(file), afterOther);
    const forced = await ok(fresh, 'write_notebook', { path: 'legacy-v44.ipynb', content: read.notebook, overwrite: true });
    assert.equal(forced.success, true);
    await fresh.close();
  });

  test('a file changed on disk by another program is re-read, not overwritten', async () => {
    await ok(client, 'create_notebook', { path: 'ext.ipynb' });
    await ok(client, 'add_cell', { path: 'ext.ipynb', cell_type: 'code', source: 'first' });
    const file = path.join(ws.root, 'ext.ipynb');
    const nb = readJson(file);
    nb.cells.push({ cell_type: 'markdown', id: 'external1', metadata: {}, source: ['added by an editor'] });
    writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
    await ok(client, 'add_cell', { path: 'ext.ipynb', cell_type: 'code', source: 'second' });
    const after = readJson(file);
    assert.deepEqual(after.cells.map((c: any) => c.source.join('')), ['first', 'added by an editor', 'second']);
  });

  test("edits and writes keep the notebook's permissions (a private notebook stays private)", async () => {
    for (const mode of [0o600, 0o664]) {
      const name = `perm-${mode.toString(8)}.ipynb`;
      const file = path.join(ws.root, name);
      writeFileSync(file, readFileSync(path.join(ws.root, 'analysis.ipynb')));
      chmodSync(file, mode);
      await ok(client, 'add_cell', { path: name, cell_type: 'markdown', source: 'kept private?' });
      assert.equal(statSync(file).mode & 0o777, mode, `${name} after add_cell`);
      const read = await ok(client, 'read_notebook', { path: name });
      await ok(client, 'write_notebook', { path: name, content: read.notebook });
      assert.equal(statSync(file).mode & 0o777, mode, `${name} after write_notebook`);
    }
  });

  test('a notebook reached through a symlink is edited where the link points; the link stays a link', async () => {
    mkdirSync(path.join(ws.root, 'shared'), { recursive: true });
    const target = path.join(ws.root, 'shared', 'real.ipynb');
    writeFileSync(target, readFileSync(path.join(ws.root, 'analysis.ipynb')));
    const link = path.join(ws.root, 'linked.ipynb');
    symlinkSync(path.join('shared', 'real.ipynb'), link);
    await ok(client, 'add_cell', { path: 'linked.ipynb', cell_type: 'markdown', source: 'through the link' });
    const read = await ok(client, 'read_notebook', { path: 'linked.ipynb' });
    await ok(client, 'write_notebook', { path: 'linked.ipynb', content: { ...read.notebook, metadata: { ...read.notebook.metadata, via: 'link' } } });
    assert.ok(lstatSync(link).isSymbolicLink(), 'still a symlink');
    const real = readJson(target);
    assert.equal(real.cells.at(-1).source.join(''), 'through the link');
    assert.equal(real.metadata.via, 'link');
    await new Promise((r) => setTimeout(r, 200)); // the old file's second name goes just after each answer
    assert.deepEqual(readdirSync(path.join(ws.root, 'shared')), ['real.ipynb'], 'no temp, lock or old copy left beside the target');
  });

  test('concurrent sessions adding cells to one notebook lose no update', async () => {
    await ok(client, 'create_notebook', { path: 'busy.ipynb' });
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectClient(server.url)));
    await Promise.all(clients.map((c, k) => Promise.all(Array.from({ length: 15 }, (_, i) => ok(c, 'add_cell', { path: 'busy.ipynb', cell_type: 'code', source: `s${k}_${i}` })))));
    await Promise.all(clients.map((c) => c.close()));
    const nb = readJson(path.join(ws.root, 'busy.ipynb'));
    assert.equal(nb.cells.length, 60);
    assert.equal(new Set(nb.cells.map((c: any) => c.source.join(''))).size, 60);
    assert.equal(new Set(nb.cells.map((c: any) => c.id)).size, 60);
  });

  test('editing an nbformat 4.4 notebook gives its cells ids and keeps outputs', async () => {
    const fresh = tempWorkspace(['legacy-v44.ipynb']);
    const s = await startServer({ root: fresh.root });
    const c = await connectClient(s.url);
    try {
      const outline = await ok(c, 'read_notebook', { path: 'legacy-v44.ipynb', format: 'outline' });
      assert.match(outline.outline[1], /^\[1\] index:1 code/);
      await ok(c, 'update_cell', { path: 'legacy-v44.ipynb', cell_id: 'index:1', source: 'x = 22\nx * 2' });
      const nb = readJson(path.join(fresh.root, 'legacy-v44.ipynb'));
      assert.equal(nb.nbformat_minor, 5);
      assert.ok(nb.cells.every((x: any) => typeof x.id === 'string'));
      assert.equal(nb.cells[1].outputs[0].data['text/plain'][0], '42');
      nbformatValidate(path.join(fresh.root, 'legacy-v44.ipynb'));
    } finally {
      await c.close();
      await s.close();
      fresh.cleanup();
    }
  });

  test('list_notebooks finds notebooks under the root, skipping checkpoints', async () => {
    mkdirSync(path.join(ws.root, 'sub', '.ipynb_checkpoints'), { recursive: true });
    writeFileSync(path.join(ws.root, 'sub', '.ipynb_checkpoints', 'x-checkpoint.ipynb'), '{}');
    await ok(client, 'create_notebook', { path: 'sub/deep/n.ipynb' });
    const r = await ok(client, 'list_notebooks', {});
    const paths = r.notebooks.map((n: any) => n.path);
    assert.ok(paths.includes('sub/deep/n.ipynb'));
    assert.ok(paths.includes('analysis.ipynb'));
    assert.ok(!paths.some((p: string) => p.includes('checkpoint')));
    const sub = await ok(client, 'list_notebooks', { folder: 'sub' });
    assert.deepEqual(sub.notebooks.map((n: any) => n.path), ['sub/deep/n.ipynb']);
  });

  test('search_notebooks finds cells by source text (and outputs on request) with their ids, in one notebook or a folder', async () => {
    // A fresh copy: earlier tests of this file edit and clear analysis.ipynb.
    writeFileSync(path.join(ws.root, 'found.ipynb'), readFileSync(path.join(FIXTURES, 'analysis.ipynb')));
    const one = await call(client, 'search_notebooks', { query: 'RATIO(', path: 'found.ipynb' });
    assert.equal(one.isError, false, one.text);
    assert.deepEqual(
      one.structured.matches.map((m: any) => [m.cell_id, m.cell_index, m.in, m.line, m.text]),
      [
        ['ce7596f2', 6, 'source', 1, 'def ratio(a, b):'],
        ['ce7596f2', 6, 'source', 4, 'ratio(1, 0)'],
      ],
    );
    // The id leads straight to an edit, with no read of the notebook.
    assert.match(one.text, /found\.ipynb \[6\] ce7596f2 source:4: ratio\(1, 0\)/);
    assert.match(one.text, /read_output \{"path":"found\.ipynb","cell_id":"ce7596f2"\}/);
    const cased = await ok(client, 'search_notebooks', { query: 'RATIO(', path: 'found.ipynb', case_sensitive: true });
    assert.deepEqual(cased.matches, []);

    // Outputs only when asked: the ZeroDivisionError is in cell 6's error output.
    assert.deepEqual((await ok(client, 'search_notebooks', { query: 'ZeroDivisionError', path: 'found.ipynb' })).matches, []);
    const outs = await ok(client, 'search_notebooks', { query: 'ZeroDivisionError', path: 'found.ipynb', include_outputs: true });
    assert.ok(outs.matches.length >= 1 && outs.matches.every((m: any) => m.cell_id === 'ce7596f2' && m.in === 'output 0'), JSON.stringify(outs.matches));

    // Every notebook under a folder; one that cannot be read is named, the others still searched.
    await ok(client, 'create_notebook', { path: 'search/a.ipynb' });
    await ok(client, 'add_cell', { path: 'search/a.ipynb', cell_type: 'code', source: 'total = load_sales()\nprint(total)' });
    writeFileSync(path.join(ws.root, 'search', 'broken.ipynb'), '{"cells": [');
    const all = await ok(client, 'search_notebooks', { query: 'load_sales', folder: 'search' });
    assert.deepEqual(all.matches.map((m: any) => [m.path, m.line]), [['search/a.ipynb', 1]]);
    assert.equal(all.notebooks_searched, 1);
    assert.equal(all.notebooks_found, 2);
    assert.match(all.skipped[0], /^search\/broken\.ipynb: /);
    assert.match(all.note, /1 notebook could not be read: see skipped/);

    // limit: the first matches, said so in both views (VS Code's and Claude Code's models read only
    // structuredContent), with how many notebooks were searched of how many.
    const many = await call(client, 'search_notebooks', { query: 'print', limit: 2 });
    assert.equal(many.structured.matches.length, 2);
    assert.equal(many.structured.truncated, true);
    assert.ok(many.structured.notebooks_searched < many.structured.notebooks_found, JSON.stringify(many.structured));
    const advice = `2+ matching lines for "print" in ${many.structured.notebooks_searched} of ${many.structured.notebooks_found} notebooks under the workspace root (stopped at the limit of 2 lines: more may match; for more pass a larger limit (up to 500), a path or folder, or a more specific query).`;
    assert.ok(many.text.startsWith(advice), many.text);
    assert.ok(many.structured.note.startsWith(advice), many.structured.note);

    const none = await call(client, 'search_notebooks', { query: 'no such text anywhere', path: 'found.ipynb' });
    assert.match(none.text, /No line of a cell source contains "no such text anywhere" in found\.ipynb\. Pass include_outputs: true/);
    const both = await call(client, 'search_notebooks', { query: 'x', path: 'found.ipynb', folder: 'search' });
    assert.equal(both.isError, true);
    assert.match(both.text, /Give path \(one notebook\) or folder/);
  });

  describe('bad input gets a clear error and changes nothing', () => {
    test('missing file names the resolved path', async () => {
      const r = await call(client, 'read_notebook', { path: 'nope/missing.ipynb' });
      assert.equal(r.isError, true);
      assert.ok(r.text.startsWith(`File not found: ${path.join(ws.root, 'nope/missing.ipynb')}`), r.text);
    });

    test('paths leaving the root are refused: .., absolute, symlink', async () => {
      const outside = tempWorkspace(['unicode.ipynb']);
      try {
        symlinkSync(outside.root, path.join(ws.root, 'link-out'));
        for (const p of ['../escape.ipynb', path.join(outside.root, 'unicode.ipynb'), 'link-out/unicode.ipynb', 'link-out/new.ipynb', 'sub/../../x.ipynb']) {
          const r = await call(client, 'create_notebook', { path: p });
          assert.equal(r.isError, true, p);
          assert.match(r.text, /outside the workspace root/, p);
          const rd = await call(client, 'read_notebook', { path: p });
          assert.match(rd.text, /outside the workspace root|File not found/, p);
        }
        assert.deepEqual(readdirSync(outside.root), ['unicode.ipynb']);
        assert.equal(existsSync(path.join(path.dirname(ws.root), 'escape.ipynb')), false);
      } finally {
        outside.cleanup();
      }
    });

    test('a corrupt or old-format notebook is reported and left untouched', async () => {
      for (const [name, pattern] of [
        ['truncated.ipynb', /^Invalid notebook format: truncated\.ipynb: not valid JSON/],
        ['nbformat3.ipynb', /^Invalid notebook format: nbformat3\.ipynb: nbformat 3 is not supported/],
      ] as const) {
        const file = path.join(ws.root, name);
        const before = sha(file);
        const r = await call(client, 'add_cell', { path: name, cell_type: 'code', source: 'x' });
        assert.equal(r.isError, true);
        assert.match(r.text, pattern);
        assert.equal(sha(file), before, `${name} unchanged`);
      }
    });

    test('index out of range says the valid range; unknown id says how to find ids', async () => {
      const file = path.join(ws.root, 'analysis.ipynb');
      const before = sha(file);
      const r = await call(client, 'update_cell', { path: 'analysis.ipynb', index: 10, source: 'x' });
      assert.match(r.text, /Index 10 is out of range: the notebook has 10 cells, valid cell indexes are 0 to 9/);
      const u = await call(client, 'remove_cell', { path: 'analysis.ipynb', cell_id: 'nope' });
      assert.match(u.text, /Cell id "nope" not found.*read_notebook/);
      const both = await call(client, 'remove_cell', { path: 'analysis.ipynb' });
      assert.match(both.text, /give "index" \(0-based\) or "cell_id"/);
      assert.equal(sha(file), before);
    });

    test('a wrong cell type or missing parameter is rejected by the schema', async () => {
      const r = await call(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'python', source: 'x' });
      assert.equal(r.isError, true);
      assert.match(r.text, /cell_type/);
      const m = await call(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'code' });
      assert.equal(m.isError, true);
      assert.match(m.text, /source/);
    });

    test('only .ipynb files are notebooks; create_notebook will not replace an existing one', async () => {
      writeFileSync(path.join(ws.root, 'script.py'), 'print(1)\n');
      const r = await call(client, 'write_notebook', { path: 'script.py', content: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }, overwrite: true });
      assert.match(r.text, /not a notebook path/);
      assert.equal(readFileSync(path.join(ws.root, 'script.py'), 'utf8'), 'print(1)\n');
      const before = sha(path.join(ws.root, 'analysis.ipynb'));
      const c = await call(client, 'create_notebook', { path: 'analysis.ipynb' });
      assert.match(c.text, /already exists; nothing was changed/);
      assert.equal(sha(path.join(ws.root, 'analysis.ipynb')), before);
    });

    test('write_notebook validates the content before touching the file', async () => {
      const r = await call(client, 'write_notebook', { path: 'bad.ipynb', content: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'widget', source: '' }] } });
      assert.match(r.text, /Invalid notebook format: content cell 0: unknown cell_type "widget"/);
      assert.equal(existsSync(path.join(ws.root, 'bad.ipynb')), false);
    });
  });
});
