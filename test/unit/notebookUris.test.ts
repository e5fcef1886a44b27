// The resource URIs: what the server writes, it reads back to the same notebook, cell and output,
// whatever the names hold; what no notebook URI can be is refused with the valid forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellUri, extensionFor, notebookUri, NotebookUriError, outputUri, parseNotebookUri } from '../../src/common/notebookUris';

const NAMES = ['a.ipynb', 'dir/sub/b.ipynb', 'Données 📊/a b#c?.ipynb', '100%.ipynb', 'x.ipynb/cells.ipynb', "it's [1].ipynb", 'UPPER.IPYNB'];

test('every URI the server writes reads back to the same notebook, cell and output', () => {
  for (const path of NAMES) {
    assert.deepEqual(parseNotebookUri(notebookUri(path)), { kind: 'notebook', path, format: 'view' }, path);
    assert.deepEqual(parseNotebookUri(notebookUri(path, 'ipynb')), { kind: 'notebook', path, format: 'ipynb' }, path);
    for (const cell of ['a1b2c3d4', 'index:3', 'with-dash_and_underscore']) {
      assert.deepEqual(parseNotebookUri(cellUri(path, cell)), { kind: 'cell', path, cell }, `${path} ${cell}`);
      assert.deepEqual(parseNotebookUri(outputUri(path, cell, 2)), { kind: 'output', path, cell, output: 2 });
      assert.deepEqual(parseNotebookUri(outputUri(path, cell, 0, 'png')), { kind: 'output', path, cell, output: 0, ext: 'png' });
    }
    // Nothing but the path's own characters, encoded: no raw space, '#' or '?' that would end the path.
    assert.doesNotMatch(notebookUri(path).slice('notebook:///'.length), /[ #?]/);
  }
});

test('the extension of the last segment says what a URI holds', () => {
  assert.ok(notebookUri('a.ipynb').endsWith('.ipynb.md'));
  assert.ok(notebookUri('a.ipynb', 'ipynb').endsWith('a.ipynb'));
  assert.ok(cellUri('a.ipynb', 'x1').endsWith('/cells/x1.md'));
  assert.equal(extensionFor('image/png'), 'png');
  assert.equal(extensionFor('image/jpeg'), 'jpg');
  assert.equal(extensionFor('application/vnd.plotly.v1+json'), undefined);
});

test('what is not a notebook URI is refused, naming the valid forms', () => {
  for (const bad of [
    '',
    'file:///a.ipynb',
    'notebook:a.ipynb',
    'notebook://h/a.ipynb',
    'notebook:///a.ipynb#x',
    'notebook:///a.ipynb?format=ipynb',
    'notebook:///../a.ipynb',
    'notebook:///a/./b.ipynb',
    'notebook:///a//b.ipynb',
    'notebook:////abs.ipynb',
    'notebook:///a%2Fb.ipynb',
    'notebook:///a%5Cb.ipynb',
    'notebook:///a%00.ipynb',
    'notebook:///%E0%A4%A.ipynb',
    'notebook:///a.txt',
    'notebook:///a.ipynb/x',
    'notebook:///a.ipynb/cells',
    'notebook:///a.ipynb/cells/c1/outputs',
    'notebook:///a.ipynb/cells/c1/outputs/x',
    'notebook:///a.ipynb/cells/c1/outputs/0.exe',
    `notebook:///${'a/'.repeat(3000)}b.ipynb`,
  ]) {
    assert.throws(() => parseNotebookUri(bad), (e: unknown) => e instanceof NotebookUriError && e.message.length > 20, bad);
  }
});
