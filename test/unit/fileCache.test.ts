// The file store keeps parsed notebooks between calls, but not without bound: beyond a total
// file size the least recently used ones are dropped (and simply parsed again when next used).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { FileNotebookStore } from '../../src/notebooks/fileStore';
import { Workspace } from '../../src/notebooks/paths';
import { emptyNotebook, joinSource, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

function workspaceWith(names: string[]): { root: string; size: number } {
  const root = mkdtempSync(path.join(tmpdir(), 'jmcp-cache-'));
  for (const n of names) {
    const nb = emptyNotebook({ name: 'python3' });
    nb.cells.push(makeCell('code', `# ${n}\n${'x = 1\n'.repeat(200)}`, { id: 'c0' }));
    writeFileSync(path.join(root, n), serializeNotebook(nb));
  }
  return { root, size: statSync(path.join(root, names[0])).size };
}

test('the parse cache drops the least recently used notebooks beyond its size, and they still read and edit right', async () => {
  const names = ['a.ipynb', 'b.ipynb', 'c.ipynb'];
  const { root, size } = workspaceWith(names);
  try {
    // Room for two of the three notebooks.
    const store = new FileNotebookStore(new Workspace(root), { durable: false, cacheBytes: 2 * size + 10 });
    const held = () => store.cachedPaths().map((p) => path.basename(p));
    for (const n of names) await store.read(n);
    assert.deepEqual(held(), ['b.ipynb', 'c.ipynb']);
    await store.read('b.ipynb');
    assert.deepEqual(held(), ['c.ipynb', 'b.ipynb'], 'a read makes a notebook the most recently used');
    const a = await store.read('a.ipynb');
    assert.match(joinSource(a.notebook.cells[0].source), /^# a\.ipynb/, 'a dropped notebook is parsed again from its file');
    assert.deepEqual(held(), ['b.ipynb', 'a.ipynb']);
    await store.edit('c.ipynb', () => ({ edits: [{ kind: 'source', index: 0, source: '# c edited' }], result: undefined }));
    assert.deepEqual(held(), ['a.ipynb', 'c.ipynb']);
    assert.equal(JSON.parse(readFileSync(path.join(root, 'c.ipynb'), 'utf8')).cells[0].source[0], '# c edited');
    // A notebook larger than the whole bound is still kept while it is the one in use.
    const tiny = new FileNotebookStore(new Workspace(root), { durable: false, cacheBytes: 1 });
    await tiny.read('a.ipynb');
    assert.deepEqual(tiny.cachedPaths().map((p) => path.basename(p)), ['a.ipynb']);
    await tiny.read('b.ipynb');
    assert.deepEqual(tiny.cachedPaths().map((p) => path.basename(p)), ['b.ipynb']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
