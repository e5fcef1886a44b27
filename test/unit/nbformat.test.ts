import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { parseNotebook, serializeNotebook, splitLines, makeCell, validateNotebook, emptyNotebook } from '../../src/notebooks/nbformat';
import { applyEdits } from '../../src/notebooks/cells';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

for (const name of ['analysis.ipynb', 'legacy-v44.ipynb', 'unicode.ipynb']) {
  test(`reading then writing ${name} unchanged gives the same bytes Jupyter wrote`, () => {
    const text = readFileSync(path.join(FIXTURES, name), 'utf8');
    assert.equal(serializeNotebook(parseNotebook(text, name)), text);
  });
}

test('splitLines matches Python str.splitlines(keepends=True), including lone CR and U+2028', () => {
  const cases = ['a\nb', 'a\r\nb\n', 'a\rb', 'x\u2028y\u2029z', 'a\f\vb', '', '\n\n', 'no newline'];
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', 'import json,sys; print(json.dumps([s.splitlines(True) for s in json.loads(sys.stdin.read())]))'], {
      input: JSON.stringify(cases),
    }).toString(),
  );
  assert.deepEqual(cases.map(splitLines), py);
});

test('serializer matches Python json.dumps(indent=1, sort_keys=True, ensure_ascii=False) on awkward strings', () => {
  const nb = emptyNotebook({ name: 'python3' });
  nb.cells.push(makeCell('code', 'é 中 📊 \u2028 \t \x1b[0m "q" \\ / \u0000 \u007f', { id: 'abc' }));
  nb.metadata.zeta = { b: 1, a: [true, null, 1.5, -3], 'Ä': 'x' };
  const text = serializeNotebook(nb);
  const py = execFileSync('/usr/bin/python3', ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), indent=1, sort_keys=True, ensure_ascii=False) + "\\n")'], {
    input: text,
  }).toString();
  assert.equal(text, py);
});

test('a new multi-line cell keeps its newlines as nbformat line lists', () => {
  const cell = makeCell('code', 'import os\n\nprint(os.getcwd())\n');
  assert.deepEqual(cell.source, ['import os\n', '\n', 'print(os.getcwd())\n']);
  assert.deepEqual(cell.outputs, []);
  assert.equal(cell.execution_count, null);
});

test('validation names the problem and the place', () => {
  assert.throws(() => parseNotebook('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}', 'old.ipynb'), /Invalid notebook format: old\.ipynb: nbformat 3 is not supported/);
  assert.throws(() => parseNotebook('{"cells": [', 'bad.ipynb'), /Invalid notebook format: bad\.ipynb: not valid JSON/);
  assert.throws(
    () => validateNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'widget', source: '', metadata: {} }] }),
    /cell 0: unknown cell_type "widget"/,
  );
  assert.throws(
    () => validateNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', id: 'a', source: '', metadata: {} }, { cell_type: 'code', id: 'a', source: '', metadata: {} }] }),
    /duplicate cell id "a"/,
  );
});

test('editing a 4.4 notebook upgrades it to 4.5 and gives every cell an id; untouched cells keep their content', () => {
  const text = readFileSync(path.join(FIXTURES, 'legacy-v44.ipynb'), 'utf8');
  const nb = parseNotebook(text, 'legacy');
  const next = applyEdits(nb, [{ kind: 'source', index: 0, source: '# Renamed' }]);
  assert.equal(next.nbformat_minor, 5);
  assert.ok(next.cells.every((c) => typeof c.id === 'string' && /^[0-9a-f]{8}$/.test(c.id)));
  assert.deepEqual(next.cells[1].outputs, nb.cells[1].outputs);
  assert.equal(nb.nbformat_minor, 4, 'the input notebook is not mutated');
  assert.equal(nb.cells[0].id, undefined);
});

test('the notebook Python writes after our edit validates with nbformat', () => {
  const nb = parseNotebook(readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8'), 'analysis');
  const next = applyEdits(nb, [
    { kind: 'insert', index: 1, cells: [makeCell('markdown', '## Added\nby a test')] },
    { kind: 'move', from: 0, to: 3 },
    { kind: 'outputs', index: 2, outputs: [{ output_type: 'stream', name: 'stdout', text: 'a\nb\n' }], executionCount: 7 },
    { kind: 'cellType', index: 4, cellType: 'markdown' },
  ]);
  const out = execFileSync('/usr/bin/python3', ['-c', 'import nbformat,sys; nb=nbformat.reads(sys.stdin.read(), 4); nbformat.validate(nb); print(len(nb.cells))'], {
    input: serializeNotebook(next),
  }).toString();
  assert.equal(out.trim(), String(nb.cells.length + 1));
});
