// The editor notebook store in a REAL VS Code extension host: notebook tools act on the open
// NotebookDocument (the change shows at once, undo reverts it, unsaved changes of the person
// survive), and on the .ipynb file when the notebook is not open.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EditorNotebookStore, NOT_SAVED_NOTICE } from '../../../src/editor/documentStore';
import { collectNotes } from '../../../src/util/callNotes';
import { FileNotebookStore } from '../../../src/notebooks/fileStore';
import { Workspace } from '../../../src/notebooks/paths';
import { RoutingNotebookStore } from '../../../src/notebooks/router';
import { applyEdits } from '../../../src/notebooks/cells';
import { joinSource, makeCell, parseNotebook, type Notebook, type Output } from '../../../src/notebooks/nbformat';
import type { CellEdit } from '../../../src/notebooks/store';
import type { ToolCallExtra, ToolContext, ToolDef } from '../../../src/tools/tool';
import { addCell } from '../../../src/tools/add_cell';
import { updateCell } from '../../../src/tools/update_cell';
import { moveCell } from '../../../src/tools/move_cell';
import { removeCell } from '../../../src/tools/remove_cell';
import { clearOutputs } from '../../../src/tools/clear_outputs';
import { editCellSource } from '../../../src/tools/edit_cell_source';
import { listNotebooks } from '../../../src/tools/list_notebooks';
import { silentLogger } from '../../../src/util/log';
import { until } from './helpers';
// Waits on VS Code's change events, not a fixed 5 s: saves took longer than that under load.

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';
const STDOUT = 'application/vnd.code.notebook.stdout';
const STDERR = 'application/vnd.code.notebook.stderr';
const ERROR = 'application/vnd.code.notebook.error';
// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let root: string;
let fixture: string;
let save = true;
let files: FileNotebookStore;
let editor: EditorNotebookStore;
let router: RoutingNotebookStore;
let ctx: ToolContext;
let n = 0;

const extra: ToolCallExtra = { signal: new AbortController().signal, progress: async () => undefined };

/** Calls a tool handler the way the MCP server does, through the routing store. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(tool: ToolDef<any, any>, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await tool.handler(args, ctx, extra)).structured as Record<string, unknown>;
}

/** A fresh copy of the fixture in the workspace folder; returns its workspace-relative name. */
function copyFixture(): string {
  const name = `analysis-${++n}.ipynb`;
  fs.copyFileSync(fixture, path.join(root, name));
  return name;
}

async function openCopy(show = true): Promise<{ name: string; doc: vscode.NotebookDocument }> {
  const name = copyFixture();
  const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, name)));
  if (show) await vscode.window.showNotebookDocument(doc);
  return { name, doc };
}

function onDisk(name: string): Notebook {
  return parseNotebook(fs.readFileSync(path.join(root, name), 'utf8'), name);
}

/** The file once the open document's pending save (jupyterMcp.saveAfterEdit, debounced) is done. */
async function savedOnDisk(name: string): Promise<Notebook> {
  const doc = vscode.workspace.notebookDocuments.find((d) => d.uri.fsPath === path.join(root, name));
  if (doc) await until(`the save of ${name}`, () => !doc.isDirty);
  return onDisk(name);
}

/** What VS Code writes for a notebook read from disk: base64 images without line breaks. */
function asVsCodeSaves(nb: Notebook): Notebook {
  const copy = JSON.parse(JSON.stringify(nb)) as Notebook;
  for (const c of copy.cells) {
    for (const o of c.outputs ?? []) {
      const data = o.data as Record<string, unknown> | undefined;
      for (const mime of Object.keys(data ?? {})) {
        if (mime.startsWith('image/') && mime !== 'image/svg+xml' && typeof data![mime] === 'string') data![mime] = (data![mime] as string).replace(/\n/g, '');
      }
    }
  }
  return copy;
}

function texts(doc: vscode.NotebookDocument): string[] {
  return doc.getCells().map((c) => c.document.getText());
}

/** Ctrl+Z in the notebook editor (command mode): undoes notebook-level edits. */
async function undo(doc: vscode.NotebookDocument): Promise<void> {
  await vscode.window.showNotebookDocument(doc);
  await vscode.commands.executeCommand('undo');
}

/** Ctrl+Z inside a cell's editor: undoes edits of that cell's text. */
async function undoInCell(doc: vscode.NotebookDocument, index: number): Promise<void> {
  await vscode.window.showNotebookDocument(doc, { selections: [new vscode.NotebookRange(index, index + 1)] });
  await vscode.commands.executeCommand('notebook.cell.edit');
  await until('the cell editor to have focus', () => vscode.window.activeTextEditor?.document === doc.cellAt(index).document);
  await vscode.commands.executeCommand('undo');
}

suite('editor notebook store (open notebooks edited through WorkspaceEdit)', () => {
  suiteSetup(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the host was started without a workspace folder');
    root = folder.uri.fsPath;
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'analysis.ipynb');
    const workspace = new Workspace(root);
    files = new FileNotebookStore(workspace);
    editor = new EditorNotebookStore(workspace, { saveAfterEdit: () => save, files, log: silentLogger });
    router = new RoutingNotebookStore(files, editor);
    ctx = {
      notebooks: router,
      session: { seen: new Map() },
      kernels: undefined as never, // no tool here runs code
      limits: { maxOutputChars: 10_000, maxImageBytes: 1_000_000, maxResultChars: 40_000 },
      execution: { timeoutMs: 10_000 },
      log: silentLogger,
      mayRunCode: () => undefined,
    };
    // VS Code in a browser (code-server) auto-saves after 1 s by default, desktop VS Code does not:
    // these tests are about what the store saves, so VS Code must not save on its own.
    await vscode.workspace.getConfiguration('files').update('autoSave', 'off', vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    editor?.dispose();
    await vscode.workspace.getConfiguration('files').update('autoSave', undefined, vscode.ConfigurationTarget.Global);
  });

  setup(() => {
    save = true;
  });

  test('VS Code 1.139 keeps nbformat cell fields in cell.metadata (the layout the store writes)', async () => {
    const { doc } = await openCopy(false);
    const code = doc.cellAt(1);
    assert.deepEqual(Object.keys(code.metadata).sort(), ['execution_count', 'id', 'metadata']);
    assert.equal(code.metadata.id, '7c498ad4');
    assert.equal(code.metadata.execution_count, 1);
    assert.deepEqual(Object.keys(doc.cellAt(0).metadata).sort(), ['id', 'metadata']);
    assert.deepEqual(Object.keys(doc.metadata).sort(), ['cells', 'indentAmount', 'metadata', 'nbformat', 'nbformat_minor']);
    const outputs = doc.cellAt(3).outputs;
    assert.deepEqual(outputs.map((o) => o.items.map((i) => i.mime)), [[STDOUT], [STDERR]]);
    assert.equal(outputs[0].metadata?.outputType, 'stream');
    assert.deepEqual(doc.cellAt(6).outputs[0].items.map((i) => i.mime), [ERROR]);
    assert.equal(doc.cellAt(7).document.languageId, 'raw');
  });

  test('read() of an unmodified open notebook equals the file (outputs in nbformat form, image included)', async () => {
    const { name } = await openCopy(false);
    const r = await router.read(name);
    assert.equal(r.store, 'editor');
    assert.match(r.version, /^editor:/);
    const disk = onDisk(name);
    assert.deepEqual(r.notebook, asVsCodeSaves(disk));
    const png = (r.notebook.cells[4].outputs![0].data as Record<string, string>)['image/png'];
    assert.ok(png.length > 1000 && !png.includes('\n'));
    assert.equal(Buffer.from(png, 'base64').subarray(1, 4).toString(), 'PNG');
    assert.deepEqual(r.notebook.cells[6].outputs![0].traceback, disk.cells[6].outputs![0].traceback);
    // Our own converter (used when vscode.ipynb's exportNotebook is missing) reads the same.
    const own = new EditorNotebookStore(new Workspace(root), { useIpynbApi: false, files });
    try {
      assert.deepEqual((await own.read(name)).notebook, r.notebook);
    } finally {
      own.dispose();
    }
  });

  test('reads stay exact after the person changes text, metadata, cells and the notebook (cells exported once are reused)', async () => {
    save = false;
    const { name, doc } = await openCopy(false);
    await router.read(name); // every cell exported and cached
    const typed = new vscode.WorkspaceEdit();
    typed.insert(doc.cellAt(1).document.uri, new vscode.Position(0, 0), '# typed\n');
    assert.ok(await vscode.workspace.applyEdit(typed));
    const nbEdits = new vscode.WorkspaceEdit();
    nbEdits.set(doc.uri, [
      // nbformat's cell metadata lives under cell.metadata.metadata in VS Code (see the layout test above).
      vscode.NotebookEdit.updateCellMetadata(2, { ...doc.cellAt(2).metadata, metadata: { ...(doc.cellAt(2).metadata.metadata as object), tags: ['person'] } }),
      vscode.NotebookEdit.insertCells(3, [new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, '## inserted by the person', 'markdown')]),
      vscode.NotebookEdit.updateNotebookMetadata({ ...doc.metadata, metadata: { ...(doc.metadata.metadata as object), person: true } }),
    ]);
    assert.ok(await vscode.workspace.applyEdit(nbEdits));
    const outputs: Output[] = [{ output_type: 'stream', name: 'stdout', text: ['new output\n'] }];
    await editor.edit(name, () => ({ edits: [{ kind: 'outputs', index: 5, outputs, executionCount: 3 }], result: null }));
    const del = new vscode.WorkspaceEdit();
    del.set(doc.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(0, 1))]);
    assert.ok(await vscode.workspace.applyEdit(del));

    const warm = (await router.read(name)).notebook;
    // Oracle: a new store exports every cell of the document afresh through vscode.ipynb.
    const fresh = new EditorNotebookStore(new Workspace(root), { files });
    try {
      assert.deepEqual(warm, (await fresh.read(name)).notebook);
    } finally {
      fresh.dispose();
    }
    assert.match(joinSource(warm.cells[0].source), /^# typed\n/);
    assert.deepEqual((warm.cells[1].metadata as { tags?: string[] }).tags, ['person']);
    assert.equal(joinSource(warm.cells[2].source), '## inserted by the person');
    assert.equal(warm.cells[4].outputs?.[0].text !== undefined ? joinSource(warm.cells[4].outputs![0].text) : '', 'new output\n');
    assert.equal((warm.metadata as { person?: boolean }).person, true);
  });

  test('tool edits appear in the open document at once, and are saved', async function () {
    // Eleven edits and a save of a shown notebook: 12-20 s when the machine's 2 cores are shared.
    this.timeout(120_000);
    const { name, doc } = await openCopy();
    const before = texts(doc);

    const added = await call(addCell, { path: name, cell_type: 'code', source: 'x = 1\nprint(x)\n', after_cell_id: 'cb7e3919' });
    assert.equal(added.store, 'editor');
    assert.equal(doc.cellCount, before.length + 1);
    assert.equal(doc.cellAt(3).document.getText(), 'x = 1\nprint(x)\n');
    assert.equal(doc.cellAt(3).document.languageId, 'python');
    assert.equal(doc.cellAt(3).metadata.id, added.cell_id, 'the new id lives where the serializer reads it');

    await call(updateCell, { path: name, cell_id: added.cell_id, source: 'y = 2', metadata: { tags: ['agent'] } });
    assert.equal(doc.cellAt(3).document.getText(), 'y = 2');
    assert.deepEqual(doc.cellAt(3).metadata.metadata, { tags: ['agent'] });

    await call(updateCell, { path: name, index: 3, cell_type: 'markdown' });
    assert.equal(doc.cellAt(3).kind, vscode.NotebookCellKind.Markup);
    assert.equal(doc.cellAt(3).metadata.id, added.cell_id);

    await call(moveCell, { path: name, cell_id: added.cell_id, to_index: 0 });
    assert.equal(doc.cellAt(0).document.getText(), 'y = 2');
    assert.deepEqual(texts(doc).slice(1), before);

    await call(clearOutputs, { path: name, cell_id: 'cb7e3919' });
    const cleared = doc.getCells().find((c) => c.metadata.id === 'cb7e3919')!;
    assert.equal(cleared.outputs.length, 0);
    assert.equal(cleared.metadata.execution_count, null);

    await call(removeCell, { path: name, cell_id: added.cell_id });
    assert.deepEqual(texts(doc), before);

    // Source and metadata of an executed cell at once: both stick (vscode.ipynb's own metadata
    // sync after a text change must not write back the old metadata), the outputs stay.
    await call(updateCell, { path: name, cell_id: 'c4f2b2b7', source: 'print("rows")', metadata: { tags: ['rows'] } });
    await new Promise((r) => setTimeout(r, 400)); // past vscode.ipynb's debounced metadata sync
    const rows = doc.getCells().find((c) => c.metadata.id === 'c4f2b2b7')!;
    assert.equal(rows.document.getText(), 'print("rows")');
    assert.deepEqual(rows.metadata.metadata, { tags: ['rows'] });
    assert.equal(rows.outputs.length, 2);
    // A source change alone is a TextEdit; vscode.ipynb clears the count as for the person's typing.
    await call(editCellSource, { path: name, cell_id: 'cb7e3919', old_string: 'months', new_string: 'MONTHS' });
    const months = doc.getCells().find((c) => c.metadata.id === 'cb7e3919')!;
    assert.equal(months.metadata.execution_count, null);
    assert.equal((await savedOnDisk(name)).cells[2].execution_count, null);
    before[2] = months.document.getText();
    before[3] = 'print("rows")';

    // saveAfterEdit (default on): the file holds what the document shows, ids included.
    await until('the save after the edits', () => !doc.isDirty);
    assert.deepEqual((await savedOnDisk(name)), (await router.read(name)).notebook);
    assert.equal((await savedOnDisk(name)).cells[2].outputs!.length, 0);
  });

  test('outputs written through the store use the serializer mimes and read back as nbformat', async () => {
    const { name, doc } = await openCopy(false);
    const outputs: Output[] = [
      { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
      { output_type: 'stream', name: 'stderr', text: 'careful\n' },
      { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<Figure>' }, metadata: {} },
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 7 },
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['\u001b[31mValueError\u001b[0m: bad'] },
    ];
    await editor.edit(name, () => ({ edits: [{ kind: 'outputs', index: 9, outputs, executionCount: 7 }], result: null }));
    const cell = doc.cellAt(9);
    assert.deepEqual(cell.outputs.map((o) => o.items.map((i) => i.mime)), [[STDOUT], [STDERR], ['image/png', 'text/plain'], ['text/plain'], [ERROR]]);
    assert.deepEqual(Buffer.from(cell.outputs[2].items[0].data), Buffer.from(PNG, 'base64'));
    assert.equal(cell.executionSummary?.executionOrder, 7);
    const read = (await editor.read(name)).notebook.cells[9];
    assert.equal(read.execution_count, 7);
    assert.deepEqual(read.outputs, [
      { output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] },
      { output_type: 'stream', name: 'stderr', text: ['careful\n'] },
      { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': ['<Figure>'] }, metadata: {} },
      { output_type: 'execute_result', data: { 'text/plain': ['42'] }, metadata: {}, execution_count: 7 },
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['\u001b[31mValueError\u001b[0m: bad'] },
    ]);
    assert.deepEqual((await savedOnDisk(name)).cells[9], read);
  });

  test('one plan with several edits lands exactly as planned, and one undo reverts all of it', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const start = (await editor.read(name)).notebook;
    const edits: CellEdit[] = [
      { kind: 'insert', index: 0, cells: [makeCell('markdown', '# new first')] },
      { kind: 'source', index: 2, source: 'import numpy as np  # edited' },
      { kind: 'cellMetadata', index: 3, metadata: { tags: ['t'] } },
      { kind: 'move', from: 5, to: 1 },
      { kind: 'delete', index: 8, count: 1 },
      { kind: 'outputs', index: 4, outputs: [], executionCount: null },
      { kind: 'insert', index: 10, cells: [makeCell('code', 'tail()')] },
      { kind: 'notebookMetadata', metadata: { ...start.metadata, agent: true } },
    ];
    const expected = applyEdits(start, edits);
    const res = await editor.edit(name, () => ({ edits, result: null }));
    const view = (await editor.read(name)).notebook;
    // Ids of new cells are random: take them from the result, check everything else.
    assert.deepEqual(view.cells.map((c) => c.id), res.notebook.cells.map((c) => c.id));
    const strip = (nb: Notebook) => ({ ...nb, cells: nb.cells.map((c, i) => ({ ...c, id: i === 0 || c.id === undefined || start.cells.every((s) => s.id !== c.id) ? 'new' : c.id })) });
    assert.deepEqual(strip(view), strip(expected));
    assert.equal(doc.isDirty, true);

    await undo(doc);
    await until('one undo to revert the whole plan', () => doc.cellCount === start.cells.length && doc.cellAt(0).metadata.id === start.cells[0].id);
    assert.deepEqual((await editor.read(name)).notebook, start);
  });

  test('undo reverts an agent edit: an added cell (undo in the notebook), a source change (undo in the cell)', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const before = texts(doc);
    await call(addCell, { path: name, cell_type: 'markdown', source: 'added by the agent', index: 1 });
    assert.equal(doc.cellCount, before.length + 1);
    await undo(doc);
    await until('undo to remove the added cell', () => doc.cellCount === before.length);
    assert.deepEqual(texts(doc), before);

    // The source is changed with a TextEdit on the cell: the cell keeps its identity and outputs,
    // and the edit is undone from the cell's editor, like the person's own typing.
    await call(editCellSource, { path: name, cell_id: 'cb7e3919', old_string: 'months', new_string: 'MONTHS' });
    assert.match(doc.cellAt(2).document.getText(), /MONTHS/);
    assert.equal(doc.cellAt(2).outputs.length, 2, 'a source edit keeps the outputs');
    await undoInCell(doc, 2);
    await until('undo in the cell editor to revert the source edit', () => doc.cellAt(2).document.getText() === before[2]);
  });

  test('a dirty document is not clobbered: the agent edit joins the person\'s unsaved change', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const original = fs.readFileSync(path.join(root, name), 'utf8');
    // The person types into cell 1 and does not save.
    const cell = doc.cellAt(1).document;
    const typed = new vscode.WorkspaceEdit();
    typed.insert(cell.uri, new vscode.Position(0, 0), '# typed by the person\n');
    assert.ok(await vscode.workspace.applyEdit(typed));
    assert.equal(doc.isDirty, true);

    const r = await call(addCell, { path: name, cell_type: 'code', source: 'agent = True' });
    assert.equal(r.store, 'editor');
    assert.match(doc.cellAt(1).document.getText(), /^# typed by the person\n/);
    assert.equal(doc.cellAt(doc.cellCount - 1).document.getText(), 'agent = True');
    // Without saveAfterEdit the file is untouched, and reading shows both changes.
    assert.equal(fs.readFileSync(path.join(root, name), 'utf8'), original);
    const seen = (await router.read(name)).notebook;
    assert.match(joinSource(seen.cells[1].source), /typed by the person/);
    assert.equal(joinSource(seen.cells.at(-1)!.source), 'agent = True');

  });

  test('saving never takes the person\'s unsaved typing with it: the notebook stays dirty and the result says so', async () => {
    save = true;
    const { name, doc } = await openCopy();
    const original = fs.readFileSync(path.join(root, name), 'utf8');
    // The person is typing in cell 1 and has not saved.
    const typed = new vscode.WorkspaceEdit();
    typed.insert(doc.cellAt(1).document.uri, new vscode.Position(0, 0), '# half-typed by the pers');
    assert.ok(await vscode.workspace.applyEdit(typed));
    assert.equal(doc.isDirty, true);

    const { value: r, notes } = await collectNotes(() => call(addCell, { path: name, cell_type: 'code', source: 'agent = True' }));
    assert.deepEqual(notes, [NOT_SAVED_NOTICE], 'the agent is told the notebook was left unsaved');
    assert.equal(doc.cellAt(doc.cellCount - 1).document.getText(), 'agent = True');
    const more = await collectNotes(() => call(updateCell, { path: name, cell_id: r.cell_id, source: 'agent = "again"' }));
    assert.deepEqual(more.notes, [NOT_SAVED_NOTICE]);
    // Well past the save delay (300 ms): nothing was saved, the file is as it was.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(doc.isDirty, true);
    assert.equal(fs.readFileSync(path.join(root, name), 'utf8'), original);
    assert.match(doc.cellAt(1).document.getText(), /^# half-typed by the pers/);

    // The person saves (their typing and the agent's edits). From a clean notebook, agent edits
    // are saved again, without a notice, even several in a row.
    assert.ok(await doc.save());
    for (const source of ['agent = 1', 'agent = 2']) {
      const next = await collectNotes(() => call(updateCell, { path: name, cell_id: r.cell_id, source }));
      assert.deepEqual(next.notes, []);
    }
    const disk = await savedOnDisk(name);
    assert.match(joinSource(disk.cells[1].source), /^# half-typed by the pers/);
    assert.equal(joinSource(disk.cells.at(-1)!.source), 'agent = 2');
  });

  test('the person typing between two agent edits: the second one is not saved, and says so', async () => {
    save = true;
    const { name, doc } = await openCopy();
    const first = await collectNotes(() => call(addCell, { path: name, cell_type: 'markdown', source: 'from the agent' }));
    assert.deepEqual(first.notes, []);
    await until('the save after the first edit', () => !doc.isDirty);
    const typed = new vscode.WorkspaceEdit();
    typed.insert(doc.cellAt(0).document.uri, new vscode.Position(0, 0), 'typing… ');
    assert.ok(await vscode.workspace.applyEdit(typed));
    const second = await collectNotes(() => call(addCell, { path: name, cell_type: 'markdown', source: 'again from the agent' }));
    assert.deepEqual(second.notes, [NOT_SAVED_NOTICE]);
    assert.doesNotMatch(fs.readFileSync(path.join(root, name), 'utf8'), /typing…/);
    // The person undoes their typing: the notebook shows only agent work again, so the next agent
    // edit is saved.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const undoTyping = new vscode.WorkspaceEdit();
    undoTyping.delete(doc.cellAt(0).document.uri, new vscode.Range(0, 0, 0, 'typing… '.length));
    assert.ok(await vscode.workspace.applyEdit(undoTyping));
    assert.ok(await doc.save());
    const third = await collectNotes(() => call(addCell, { path: name, cell_type: 'markdown', source: 'third' }));
    assert.deepEqual(third.notes, []);
    await until('the save after the third edit', () => !doc.isDirty);
  });

  test('a text edit returns before vscode.ipynb resets the execution count; a move right after still lands on the right cells', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const read = await router.read(name);
    const counted = read.notebook.cells.findIndex((c) => c.cell_type === 'code' && typeof c.execution_count === 'number');
    assert.ok(counted >= 0, 'the fixture has an executed code cell');
    const ids = doc.getCells().map((c) => c.metadata.id);
    const metaBefore = doc.getCells().map((c) => JSON.stringify(c.metadata.metadata ?? {}));
    const updated = await call(updateCell, { path: name, index: counted, source: 'changed = 1' });
    // At once: move a cell from before the edited one to the end (every index behind it shifts).
    await call(moveCell, { path: name, index: 0, to_index: doc.cellCount - 1 });
    await until('vscode.ipynb to reset the execution count', () => doc.getCells().find((c) => c.metadata.id === updated.cell_id)?.metadata.execution_count === null);
    // Every cell kept its own id and metadata (the reset did not land on a shifted index).
    assert.deepEqual(doc.getCells().map((c) => c.metadata.id), [...ids.slice(1), ids[0]]);
    assert.deepEqual(doc.getCells().map((c) => JSON.stringify(c.metadata.metadata ?? {})), [...metaBefore.slice(1), metaBefore[0]]);
    const counts = doc.getCells().filter((c) => c.metadata.id !== updated.cell_id).map((c) => c.metadata.execution_count);
    assert.deepEqual(counts, [...read.notebook.cells.slice(1), read.notebook.cells[0]].filter((c) => c.id !== updated.cell_id).map((c) => (c.cell_type === 'code' ? c.execution_count : undefined)));
  });

  test('the version a text edit returns stays valid after vscode.ipynb resets the execution count (write_notebook is not refused)', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const read = await router.read(name);
    const counted = read.notebook.cells.findIndex((c) => c.cell_type === 'code' && typeof c.execution_count === 'number');
    const r = await editor.edit(name, () => ({ edits: [{ kind: 'source', index: counted, source: 'changed = 2' }], result: null }));
    await until('vscode.ipynb to reset the execution count', () => doc.cellAt(counted).metadata.execution_count === null);
    assert.equal(await editor.currentVersion(name), r.version);
    const w = await router.write(name, { ...r.notebook, cells: r.notebook.cells.slice(0, 2) }, r.version);
    assert.equal(w.store, 'editor');
    assert.equal(doc.cellCount, 2);
    // A change by the person still makes the version stale.
    const typed = new vscode.WorkspaceEdit();
    typed.insert(doc.cellAt(0).document.uri, new vscode.Position(0, 0), 'x');
    assert.ok(await vscode.workspace.applyEdit(typed));
    await assert.rejects(router.write(name, r.notebook, w.version), /changed in the editor since it was read/);
  });

  test('a plan made before the person\'s change is planned again, not applied over it', async () => {
    save = false;
    const { name, doc } = await openCopy(false);
    let runs = 0;
    await editor.edit(name, (nb) => {
      runs++;
      if (runs === 1) {
        // The person deletes a cell while the agent plans: the document version moves on.
        const del = new vscode.WorkspaceEdit();
        del.set(doc.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(0, 1))]);
        void vscode.workspace.applyEdit(del);
      }
      return { edits: [{ kind: 'source', index: nb.cells.findIndex((c) => c.id === 'cb7e3919'), source: 'replanned' }], result: null };
    });
    await until('the person\'s delete', () => doc.cellCount === 9);
    const target = doc.getCells().find((c) => c.metadata.id === 'cb7e3919')!;
    assert.equal(target.document.getText(), 'replanned');
    assert.equal(doc.cellAt(0).metadata.id, '7c498ad4');
  });

  test('write() replaces the open notebook undoably; create() refuses without overwrite; stale versions are refused', async () => {
    save = false;
    const { name, doc } = await openCopy();
    const read = await router.read(name);
    const nb: Notebook = { ...read.notebook, cells: [makeCell('code', 'only = 1', { id: 'only1' }), makeCell('markdown', 'and me')] };
    const w = await router.write(name, nb, read.version);
    assert.equal(w.store, 'editor');
    assert.deepEqual(texts(doc), ['only = 1', 'and me']);
    assert.equal(doc.cellAt(0).metadata.id, 'only1');
    assert.equal(typeof doc.cellAt(1).metadata.id, 'string', 'a written 4.5 cell without id gets one');
    await assert.rejects(router.write(name, nb, read.version), /changed in the editor since it was read/);
    await assert.rejects(router.create(name, nb, { overwrite: false }), /open in the editor/);
    await undo(doc);
    await until('undo to bring the cells back', () => doc.cellCount === read.notebook.cells.length);
  });

  test('a notebook that is not open goes to the file store; list marks the open ones', async () => {
    const name = copyFixture();
    assert.ok(!vscode.workspace.notebookDocuments.some((d) => d.uri.fsPath === path.join(root, name)));
    const r = await call(addCell, { path: `./${name}`, cell_type: 'code', source: 'on_disk = 1' });
    assert.equal(r.store, 'file');
    const disk = onDisk(name);
    assert.equal(joinSource(disk.cells.at(-1)!.source), 'on_disk = 1');
    assert.equal(disk.cells.at(-1)!.id, r.cell_id);
    assert.ok(!vscode.workspace.notebookDocuments.some((d) => d.uri.fsPath === path.join(root, name)), 'the file store did not open it');

    const { name: open } = await openCopy(false);
    const list = (await call(listNotebooks, {})).notebooks as { path: string; open_in_editor?: boolean }[];
    assert.equal(list.find((x) => x.path === open)?.open_in_editor, true);
    assert.equal(list.find((x) => x.path === name)?.open_in_editor, false);
  });

  test('an edit that changes nothing (outputs saved again as they are) succeeds and leaves the document clean', async () => {
    save = true;
    const { name, doc } = await openCopy(false);
    const versionBefore = doc.version;
    const r = await router.edit(name, (nb) => {
      const i = nb.cells.findIndex((c) => c.cell_type === 'code');
      return { edits: [{ kind: 'outputs', index: i, outputs: nb.cells[i].outputs ?? [], executionCount: nb.cells[i].execution_count ?? null }], result: i };
    });
    assert.equal(r.store, 'editor');
    assert.equal(doc.version, versionBefore);
    assert.equal(doc.isDirty, false);
  });

  test('ids of new cells survive save and reopen', async () => {
    const { name } = await openCopy(false);
    const a = await call(addCell, { path: name, cell_type: 'code', source: 'a = 1', index: 0 });
    const b = await call(addCell, { path: name, cell_type: 'markdown', source: 'b', after_cell_id: a.cell_id });
    const disk = (await savedOnDisk(name));
    assert.deepEqual([disk.cells[0].id, disk.cells[1].id], [a.cell_id, b.cell_id]);
    // Open the saved file as a new document, as VS Code does after a restart.
    const again = `${name.slice(0, -6)}-reopened.ipynb`;
    fs.copyFileSync(path.join(root, name), path.join(root, again));
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, again)));
    assert.deepEqual([doc.cellAt(0).metadata.id, doc.cellAt(1).metadata.id], [a.cell_id, b.cell_id]);
    const read = await router.read(again);
    assert.equal(read.store, 'editor');
    assert.deepEqual([read.notebook.cells[0].id, read.notebook.cells[1].id], [a.cell_id, b.cell_id]);
  });
});
