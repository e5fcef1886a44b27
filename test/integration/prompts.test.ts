// Prompts and completions through the real SDK client over real HTTP: prompts/list, prompts/get of
// each prompt on a notebook Jupyter wrote (analysis.ipynb: a plot, a table, a ZeroDivisionError, an
// empty cell, imports in three cells), completion/complete for a notebook path and a cell id (for a
// prompt argument and for a template variable), and bad arguments.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

const text = (m: { content: { type: string } }) => (m.content as { text?: string }).text ?? '';

describe('prompts and completions over Streamable HTTP', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  before(async () => {
    ws = tempWorkspace(['analysis.ipynb', 'charts.ipynb', 'unicode.ipynb']);
    const nb = serializeNotebook(emptyNotebook({ name: 'python3' }));
    mkdirSync(path.join(ws.root, 'reports'));
    for (let i = 0; i < 150; i++) writeFileSync(path.join(ws.root, 'reports', `week${String(i).padStart(3, '0')}.ipynb`), nb);
    server = await startServer({ root: ws.root });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
  });

  test('prompts/list: four prompts a person would pick, with the notebook path required and the cell optional', async () => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => [p.name, p.title, p.arguments?.map((a) => `${a.name}${a.required ? '' : '?'}`).join(',')]),
      [
        ['explain_notebook', 'Explain a notebook', 'path'],
        ['fix_failing_cell', 'Fix the failing cell', 'path,cell_id?'],
        ['tidy_notebook', 'Tidy a notebook', 'path'],
        ['summarize_results', 'Summarize results with plots', 'path'],
      ],
    );
    for (const p of prompts) assert.ok(p.description && p.description.length < 140, p.name);
  });

  test('explain_notebook attaches the notebook\'s text view as an embedded resource, then asks', async () => {
    const r = await client.getPrompt({ name: 'explain_notebook', arguments: { path: 'analysis.ipynb' } });
    assert.equal(r.messages.length, 2);
    const res = r.messages[0].content as { type: string; resource: { uri: string; mimeType: string; text: string } };
    assert.equal(res.type, 'resource');
    assert.equal(res.resource.uri, 'notebook:///analysis.ipynb.md');
    assert.match(res.resource.text, /## Cell 6 · code · id ce7596f2/);
    assert.match(text(r.messages[1]), /Explain the Jupyter notebook analysis\.ipynb/);
  });

  test('fix_failing_cell finds the failing cell itself and hands over its source, traceback and the cells before it', async () => {
    const r = await client.getPrompt({ name: 'fix_failing_cell', arguments: { path: 'analysis.ipynb' } });
    const t = text(r.messages[0]);
    assert.match(t, /^Fix cell 6 \(id ce7596f2\) of the notebook analysis\.ipynb/);
    assert.match(t, /return a \/ b/);
    assert.match(t, /saved error \(ZeroDivisionError: division by zero\)/);
    assert.ok(!t.includes('\u001b['), 'no ANSI codes');
    assert.match(t, /\[1\] id=7c498ad4 In \[1\]: import numpy as np/);
    assert.match(t, /execute_notebook_cell \{"path":"analysis\.ipynb","cell_id":"ce7596f2"\}/);
    // A cell named by the person, and a notebook with no error: run it to find one.
    const named = await client.getPrompt({ name: 'fix_failing_cell', arguments: { path: 'analysis.ipynb', cell_id: 'cb7e3919' } });
    assert.match(text(named.messages[0]), /^Fix cell 2 \(id cb7e3919\)[\s\S]*no error saved/);
    const clean = await client.getPrompt({ name: 'fix_failing_cell', arguments: { path: 'unicode.ipynb' } });
    assert.match(text(clean.messages[0]), /No cell of unicode\.ipynb has an error[\s\S]*execute_notebook \{"path":"unicode\.ipynb"\}/);
  });

  test('tidy_notebook computes the checklist: imports outside the first code cell, empty cells, errors', async () => {
    const r = await client.getPrompt({ name: 'tidy_notebook', arguments: { path: 'analysis.ipynb' } });
    const t = text(r.messages[1]);
    assert.match(t, /Imports outside the first code cell: cells 3 \(c4f2b2b7\), 5 \(011a163a\)\./);
    assert.match(t, /Empty cells: 9 \(41821848\)\./);
    assert.match(t, /Cells with errors in their outputs: 6 \(ce7596f2\)\./);
    assert.match(t, /restart_kernel[\s\S]*execute_notebook \{"path":"analysis\.ipynb"\}/);
  });

  test('summarize_results hands the plots over as images, each named', async () => {
    const r = await client.getPrompt({ name: 'summarize_results', arguments: { path: 'charts.ipynb' } });
    const images = r.messages.filter((m) => m.content.type === 'image');
    assert.equal(images.length, 1);
    assert.equal((images[0].content as { mimeType: string }).mimeType, 'image/png');
    assert.ok(r.messages.some((m) => /Plot: cell 3 output 0\./.test(text(m))));
    assert.match(text(r.messages[r.messages.length - 1]), /Summarize the results of charts\.ipynb[\s\S]*1 attached above/);
  });

  test('bad arguments: a missing notebook, a path outside the root, an unknown cell, no path', async () => {
    await assert.rejects(client.getPrompt({ name: 'explain_notebook', arguments: { path: 'nope.ipynb' } }), /No notebook at nope\.ipynb/);
    await assert.rejects(client.getPrompt({ name: 'tidy_notebook', arguments: { path: '../../etc/x.ipynb' } }), /outside the workspace root/);
    await assert.rejects(client.getPrompt({ name: 'fix_failing_cell', arguments: { path: 'analysis.ipynb', cell_id: 'zzz' } }), /No cell "zzz" in analysis\.ipynb/);
    await assert.rejects(client.getPrompt({ name: 'explain_notebook', arguments: {} }), /Invalid arguments for prompt explain_notebook/);
  });

  describe('completion/complete', () => {
    test('a notebook path for a prompt argument: prefix matches first, then file names, then anywhere', async () => {
      const r = await client.complete({ ref: { type: 'ref/prompt', name: 'explain_notebook' }, argument: { name: 'path', value: 'ch' } });
      assert.deepEqual(r.completion.values, ['charts.ipynb']);
      const byName = await client.complete({ ref: { type: 'ref/prompt', name: 'explain_notebook' }, argument: { name: 'path', value: 'week01' } });
      assert.deepEqual(byName.completion.values.slice(0, 3), ['reports/week010.ipynb', 'reports/week011.ipynb', 'reports/week012.ipynb']);
      assert.equal(byName.completion.total, 10);
    });

    test('150 matches: the first 100, the total and hasMore', async () => {
      const r = await client.complete({ ref: { type: 'ref/prompt', name: 'tidy_notebook' }, argument: { name: 'path', value: 'reports/' } });
      assert.equal(r.completion.values.length, 100);
      assert.equal(r.completion.total, 150);
      assert.equal(r.completion.hasMore, true);
    });

    test('a cell id, for the notebook named in the other argument: ids that start with the text, then cells whose first line holds it', async () => {
      const ref = { type: 'ref/prompt' as const, name: 'fix_failing_cell' };
      const r = await client.complete({ ref, argument: { name: 'cell_id', value: 'c' }, context: { arguments: { path: 'analysis.ipynb' } } });
      assert.deepEqual(r.completion.values, ['cb7e3919', 'c4f2b2b7', 'ce7596f2']);
      const byLine = await client.complete({ ref, argument: { name: 'cell_id', value: 'ratio' }, context: { arguments: { path: 'analysis.ipynb' } } });
      assert.deepEqual(byLine.completion.values, ['ce7596f2']);
      // Without the notebook, or with a bad one, nothing (completion never fails the person typing).
      assert.deepEqual((await client.complete({ ref, argument: { name: 'cell_id', value: '' } })).completion.values, []);
      assert.deepEqual((await client.complete({ ref, argument: { name: 'cell_id', value: '' }, context: { arguments: { path: '../x.ipynb' } } })).completion.values, []);
    });

    test('template variables: path, cell_id and output of the output template', async () => {
      const uri = 'notebook:///{+path}/cells/{cell_id}/outputs/{output}';
      const p = await client.complete({ ref: { type: 'ref/resource', uri }, argument: { name: 'path', value: 'ana' } });
      assert.deepEqual(p.completion.values, ['analysis.ipynb']);
      const c = await client.complete({ ref: { type: 'ref/resource', uri }, argument: { name: 'cell_id', value: '47' }, context: { arguments: { path: 'analysis.ipynb' } } });
      assert.deepEqual(c.completion.values, ['47d71fb2']);
      const o = await client.complete({ ref: { type: 'ref/resource', uri }, argument: { name: 'output', value: '' }, context: { arguments: { path: 'analysis.ipynb', cell_id: '47d71fb2' } } });
      assert.deepEqual(o.completion.values, ['0', '0.png', '0.txt']);
      await assert.rejects(client.complete({ ref: { type: 'ref/resource', uri: 'notebook:///{nothing}' }, argument: { name: 'x', value: '' } }), /Resource template notebook:\/\/\/\{nothing\} not found/);
    });
  });
});
