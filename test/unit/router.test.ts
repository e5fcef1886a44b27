// The router picks the editor store for notebooks open in the editor and the file store otherwise,
// however the path is spelled. Here the "editor" is a second FileNotebookStore on another folder
// holding a different copy of the notebook, so the test sees which store served each call.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileNotebookStore } from '../../src/notebooks/fileStore';
import { Workspace } from '../../src/notebooks/paths';
import { makeCell, emptyNotebook, joinSource, type Notebook } from '../../src/notebooks/nbformat';
import { NotebookNotOpenError, RoutingNotebookStore, type OpenNotebooks } from '../../src/notebooks/router';
import type { EditPlanner, NotebookInfo, NotebookStore } from '../../src/notebooks/store';

function notebook(text: string): Notebook {
  return { ...emptyNotebook({ name: 'python3' }), cells: [makeCell('code', text, { id: 'c1' })] };
}

/** A NotebookStore that serves `editorRoot` for paths of `root`, reporting store: 'editor'. */
class FakeEditorStore implements NotebookStore {
  private readonly inner: FileNotebookStore;
  calls: string[] = [];
  closed = false;
  constructor(private readonly root: string, editorRoot: string) {
    this.inner = new FileNotebookStore(new Workspace(editorRoot), { durable: false });
  }
  private rel(p: string): string {
    // The router hands over the path as the agent gave it: resolve it against the real root.
    const abs = p.startsWith('file://') ? new URL(p).pathname : path.resolve(this.root, p);
    return path.relative(this.root, abs);
  }
  private check(op: string, p: string): string {
    this.calls.push(op);
    if (this.closed) throw new NotebookNotOpenError(path.resolve(this.root, this.rel(p)));
    return this.rel(p);
  }
  private tag<T extends NotebookInfo>(x: T): T {
    return { ...x, path: path.resolve(this.root, x.relativePath), store: 'editor' };
  }
  async resolve(p: string) {
    return this.tag(await this.inner.resolve(this.check('resolve', p)));
  }
  async read(p: string) {
    return this.tag(await this.inner.read(this.check('read', p)));
  }
  async edit<T>(p: string, plan: EditPlanner<T>) {
    return this.tag(await this.inner.edit(this.check('edit', p), plan));
  }
  async create(p: string, nb: Notebook, opts: { overwrite: boolean }) {
    return this.tag(await this.inner.create(this.check('create', p), nb, opts));
  }
  async write(p: string, nb: Notebook, v?: string | null) {
    return this.tag(await this.inner.write(this.check('write', p), nb, v));
  }
  async currentVersion(p: string) {
    return this.inner.currentVersion(this.check('currentVersion', p));
  }
  async list(): Promise<never> {
    throw new Error('the router lists through the file store');
  }
}

let tmp: string;
let root: string;
let files: FileNotebookStore;
let editor: FakeEditorStore;
let openPaths: Set<string>;
let router: RoutingNotebookStore;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'router-test-'));
  root = path.join(tmp, 'ws');
  const editorRoot = path.join(tmp, 'editor');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(editorRoot, 'sub'), { recursive: true });
  for (const name of ['open.ipynb', 'closed.ipynb', 'sub/deep.ipynb']) {
    fs.writeFileSync(path.join(root, name), JSON.stringify(notebook(`on disk: ${name}`)));
    fs.writeFileSync(path.join(editorRoot, name), JSON.stringify(notebook(`in editor: ${name}`)));
  }
  files = new FileNotebookStore(new Workspace(root), { durable: false });
  editor = new FakeEditorStore(root, editorRoot);
  openPaths = new Set([path.join(root, 'open.ipynb'), path.join(root, 'sub', 'deep.ipynb')]);
  const open: OpenNotebooks = { isOpen: (abs) => openPaths.has(abs), store: editor };
  router = new RoutingNotebookStore(files, open);
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function sourceOf(p: string): Promise<{ text: string; store: string }> {
  const r = await router.read(p);
  return { text: joinSource(r.notebook.cells[0].source), store: r.store };
}

test('an open notebook is served by the editor store, however the path is spelled', async () => {
  const abs = path.join(root, 'open.ipynb');
  for (const spelling of ['open.ipynb', './open.ipynb', 'sub/../open.ipynb', abs, pathToFileURL(abs).href]) {
    assert.deepEqual(await sourceOf(spelling), { text: 'in editor: open.ipynb', store: 'editor' }, spelling);
  }
  assert.deepEqual(await sourceOf('./sub/deep.ipynb'), { text: 'in editor: sub/deep.ipynb', store: 'editor' });
});

test('a notebook that is not open is served by the file store', async () => {
  assert.deepEqual(await sourceOf('closed.ipynb'), { text: 'on disk: closed.ipynb', store: 'file' });
  assert.deepEqual(await sourceOf(path.join(root, 'closed.ipynb')), { text: 'on disk: closed.ipynb', store: 'file' });
  assert.equal((await router.resolve('closed.ipynb')).store, 'file');
  assert.equal((await router.resolve('open.ipynb')).store, 'editor');
  assert.deepEqual(editor.calls, ['resolve'], 'the editor store was asked only about the open notebook');
});

test('every operation follows the open state: edit, write, create, currentVersion', async () => {
  const plan = (nb: Readonly<Notebook>) => ({ edits: [{ kind: 'source' as const, index: 0, source: 'edited' }], result: nb.cells.length });
  const e1 = await router.edit('open.ipynb', plan);
  assert.equal(e1.store, 'editor');
  const e2 = await router.edit('closed.ipynb', plan);
  assert.equal(e2.store, 'file');
  // The file under the open notebook was not touched; the closed one was.
  assert.match(fs.readFileSync(path.join(root, 'open.ipynb'), 'utf8'), /on disk: open/);
  assert.match(fs.readFileSync(path.join(root, 'closed.ipynb'), 'utf8'), /edited/);

  const w = await router.write('open.ipynb', notebook('written'), undefined);
  assert.equal(w.store, 'editor');
  assert.match(fs.readFileSync(path.join(root, 'open.ipynb'), 'utf8'), /on disk: open/);

  await assert.rejects(router.create('open.ipynb', notebook('x'), { overwrite: false }), /already exists/);
  assert.equal(editor.calls.at(-1), 'create');
  const c = await router.create('new.ipynb', notebook('new'), { overwrite: false });
  assert.equal(c.store, 'file');
  assert.ok(fs.existsSync(path.join(root, 'new.ipynb')));

  assert.equal(await router.currentVersion('open.ipynb'), await editor.currentVersion('open.ipynb'));
  assert.equal(await router.currentVersion('closed.ipynb'), await files.currentVersion('closed.ipynb'));
});

test('opening and closing the notebook switches the store from one call to the next', async () => {
  assert.equal((await sourceOf('closed.ipynb')).store, 'file');
  openPaths.add(path.join(root, 'closed.ipynb'));
  assert.equal((await sourceOf('closed.ipynb')).store, 'editor');
  openPaths.delete(path.join(root, 'open.ipynb'));
  assert.deepEqual(await sourceOf('open.ipynb'), { text: 'on disk: open.ipynb', store: 'file' });
});

test('a document closed between the decision and the call falls back to the file', async () => {
  editor.closed = true; // still reported open by isOpen(), but the editor store says it is gone
  assert.deepEqual(await sourceOf('open.ipynb'), { text: 'on disk: open.ipynb', store: 'file' });
  assert.equal(editor.calls.at(-1), 'read');
});

test('paths outside the workspace are refused before any store is asked', async () => {
  await assert.rejects(router.read('../editor/open.ipynb'), /outside the workspace root/);
  await assert.rejects(router.read('/etc/passwd.ipynb'), /outside the workspace root/);
  assert.deepEqual(editor.calls, []);
});

test('list marks the notebooks that are open in the editor', async () => {
  const res = await router.list('.', { recursive: true, limit: 100 });
  assert.deepEqual(
    res.notebooks.map((n) => [n.path, n.open_in_editor]),
    [
      ['closed.ipynb', false],
      ['open.ipynb', true],
      ['sub/deep.ipynb', true],
    ],
  );
});
