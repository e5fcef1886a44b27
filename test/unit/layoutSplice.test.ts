// After an edit the file store writes the new file cut from the last one it wrote (the "layout" in
// src/notebooks/nbformatWrite.ts): the old bytes around the changed cells, the new cells encoded.
// Whatever the edits, that file must be byte for byte what a full serialization writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { makeCell, parseNotebookBytes, serializeNotebook, serializeNotebookPiecesSliced, type Notebook } from '../../src/notebooks/nbformat';
import { applyEdits } from '../../src/notebooks/cells';
import type { CellEdit } from '../../src/notebooks/store';
import { rng } from '../fixtures/generate-large';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** The bytes a serializer that has never seen these objects writes (a deep copy has no cached bytes). */
function fresh(nb: Notebook): string {
  return serializeNotebook(structuredClone(nb));
}

async function written(nb: Notebook, base?: Notebook): Promise<string> {
  return Buffer.concat(await serializeNotebookPiecesSliced(nb, base)).toString('utf8');
}

test('400 random edits in a row, each file cut from the one before, are each what a full write gives', async () => {
  const rand = rng(11);
  let nb = parseNotebookBytes(readFileSync(path.join(FIXTURES, 'analysis.ipynb')), 'analysis.ipynb');
  await written(nb); // the first write: a full one, which leaves the layout
  for (let i = 0; i < 400; i++) {
    const n = nb.cells.length;
    const at = Math.floor(rand() * n);
    const pick = rand();
    const edit: CellEdit =
      n < 2 || pick < 0.25
        ? { kind: 'insert', index: Math.floor(rand() * (n + 1)), cells: [makeCell(rand() < 0.5 ? 'code' : 'markdown', `x_${i} = "é ${i}"\n# ${'#'.repeat(i % 7)}`)] }
        : pick < 0.4
          ? { kind: 'delete', index: at, count: 1 + Math.floor(rand() * Math.min(3, n - at - 1)) }
          : pick < 0.55
            ? { kind: 'move', from: at, to: Math.floor(rand() * n) }
            : pick < 0.9
              ? { kind: 'source', index: at, source: `y = ${i}${'\n'.repeat(i % 3)}` }
              : { kind: 'notebookMetadata', metadata: { ...nb.metadata, note: `edit ${i}` } };
    const next = applyEdits(nb, [edit]);
    assert.equal(await written(next, nb), fresh(next), `edit ${i}: ${JSON.stringify(edit).slice(0, 120)}`);
    nb = next;
  }
});

test('a base never written, an emptied notebook and a fully replaced one fall back to a full write', async () => {
  const nb = parseNotebookBytes(readFileSync(path.join(FIXTURES, 'analysis.ipynb')), 'analysis.ipynb');
  const unseen = structuredClone(nb);
  const edited = applyEdits(unseen, [{ kind: 'source', index: 1, source: 'z = 1' }]);
  assert.equal(await written(edited, unseen), fresh(edited));
  await written(edited);
  const empty = applyEdits(edited, [{ kind: 'delete', index: 0, count: edited.cells.length }]);
  assert.equal(await written(empty, edited), fresh(empty));
  const replaced = { ...edited, cells: edited.cells.map((c) => ({ ...c })) };
  assert.equal(await written(replaced, edited), fresh(replaced));
  // Appending to the emptied notebook: nothing to reuse there either.
  const one = applyEdits(empty, [{ kind: 'insert', index: 0, cells: [makeCell('code', 'a = 1')] }]);
  assert.equal(await written(one, empty), fresh(one));
});
