// Reads of an open notebook re-check only the cells VS Code's change events named since the last
// read (src/editor/documentStore.ts `changedCells`): each read here, after one change of one kind
// by the person or the agent, must equal a fresh export of every cell through vscode.ipynb.
// Real VS Code host, real vscode.ipynb.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EditorNotebookStore } from '../../../src/editor/documentStore';
import { FileNotebookStore } from '../../../src/notebooks/fileStore';
import { Workspace } from '../../../src/notebooks/paths';
import { joinSource, makeCell, type Notebook } from '../../../src/notebooks/nbformat';
import { silentLogger } from '../../../src/util/log';
import { until } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

suite('editor store reads after each change (only the changed cells are exported again)', () => {
  let root: string;
  let files: FileNotebookStore;
  let store: EditorNotebookStore;

  suiteSetup(() => {
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    files = new FileNotebookStore(new Workspace(root));
    store = new EditorNotebookStore(new Workspace(root), { saveAfterEdit: () => false, files, log: silentLogger });
  });

  suiteTeardown(() => store?.dispose());

  /** Oracle: a new store exports every cell of the document afresh. */
  async function freshRead(name: string): Promise<Notebook> {
    const fresh = new EditorNotebookStore(new Workspace(root), { saveAfterEdit: () => false, files, log: silentLogger });
    try {
      return (await fresh.read(name)).notebook;
    } finally {
      fresh.dispose();
    }
  }

  async function sameAsFresh(name: string, after: string): Promise<Notebook> {
    const warm = (await store.read(name)).notebook;
    assert.deepEqual(warm, await freshRead(name), `read after ${after} differs from a fresh export`);
    return warm;
  }

  test('text, language, metadata, added / deleted cells, agent edits: every read equals a fresh export', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const name = 'changed-cells.ipynb';
    fs.copyFileSync(path.join(ext.extensionPath, 'test', 'fixtures', 'analysis.ipynb'), path.join(root, name));
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, name)));
    await vscode.window.showNotebookDocument(doc);
    await store.read(name); // every cell exported once

    const typed = new vscode.WorkspaceEdit();
    typed.insert(doc.cellAt(1).document.uri, new vscode.Position(0, 0), '# typed\n');
    assert.ok(await vscode.workspace.applyEdit(typed));
    assert.match(joinSource((await sameAsFresh(name, 'typing')).cells[1].source), /^# typed/);

    const code = doc.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code)!;
    await vscode.languages.setTextDocumentLanguage(code.document, 'javascript');
    await until('the language change', () => code.document.languageId === 'javascript');
    await sameAsFresh(name, 'a language change');

    const meta = new vscode.WorkspaceEdit();
    meta.set(doc.uri, [vscode.NotebookEdit.updateCellMetadata(2, { ...doc.cellAt(2).metadata, metadata: { tags: ['person'] } })]);
    assert.ok(await vscode.workspace.applyEdit(meta));
    assert.deepEqual((await sameAsFresh(name, 'a metadata change')).cells[2].metadata, { tags: ['person'] });

    await store.edit(name, () => ({ edits: [{ kind: 'insert', index: 3, cells: [makeCell('code', 'agent = 1')] }], result: null }));
    assert.equal(joinSource((await sameAsFresh(name, 'an agent insert')).cells[3].source), 'agent = 1');

    // A text edit by the agent; vscode.ipynb then resets the cell's execution count (its own edit).
    const counted = doc.getCells().findIndex((c) => typeof c.metadata?.execution_count === 'number');
    assert.ok(counted >= 0, 'the fixture has a run cell');
    await store.edit(name, () => ({ edits: [{ kind: 'source', index: counted, source: 'changed = 2' }], result: null }));
    await until('vscode.ipynb to reset the execution count', () => doc.cellAt(counted).metadata?.execution_count == null);
    const afterReset = await sameAsFresh(name, "vscode.ipynb's execution-count reset");
    assert.equal(afterReset.cells[counted].execution_count, null);

    const del = new vscode.WorkspaceEdit();
    del.set(doc.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(0, 1))]);
    assert.ok(await vscode.workspace.applyEdit(del));
    await sameAsFresh(name, 'a deleted cell');

    const notebookMeta = new vscode.WorkspaceEdit();
    notebookMeta.set(doc.uri, [vscode.NotebookEdit.updateNotebookMetadata({ ...doc.metadata, metadata: { ...(doc.metadata.metadata as object), person: true } })]);
    assert.ok(await vscode.workspace.applyEdit(notebookMeta));
    await sameAsFresh(name, "a change of the notebook's metadata");
  });
});
