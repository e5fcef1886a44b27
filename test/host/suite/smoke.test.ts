// Smoke test of the real extension host: the editor features our extension builds on are there
// and behave as we rely on (notebook serializer, notebook edits, undo).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host was started without a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

function atLeast(version: string, min: [number, number]): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

suite('real VS Code extension host', () => {
  test('runs VS Code 1.101 or newer', () => {
    assert.ok(atLeast(vscode.version, [1, 101]), `vscode.version is ${vscode.version}`);
  });

  test('has our extension, and it activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('has the built-in ipynb extension, which opens an .ipynb as cells', async () => {
    assert.ok(vscode.extensions.getExtension('vscode.ipynb'), 'vscode.ipynb is missing');
    const doc = await vscode.workspace.openNotebookDocument(workspaceFile('smoke.ipynb'));
    assert.equal(doc.notebookType, 'jupyter-notebook');
    assert.equal(doc.cellCount, 3);
    assert.equal(doc.cellAt(0).kind, vscode.NotebookCellKind.Markup);
    assert.equal(doc.cellAt(1).document.getText(), 'print(1 + 1)');
    assert.equal(doc.cellAt(1).outputs.length, 1);
    assert.equal(doc.cellAt(2).document.languageId, 'python');
  });

  test('applies NotebookEdit.insertCells through a WorkspaceEdit, and undo reverts it', async () => {
    const doc = await vscode.workspace.openNotebookDocument(workspaceFile('smoke.ipynb'));
    await vscode.window.showNotebookDocument(doc);
    const before = doc.cellCount;

    const edit = new vscode.WorkspaceEdit();
    edit.set(doc.uri, [
      vscode.NotebookEdit.insertCells(1, [
        new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'print("inserted")', 'python'),
      ]),
    ]);
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    assert.equal(doc.cellCount, before + 1);
    assert.equal(doc.cellAt(1).document.getText(), 'print("inserted")');
    assert.equal(doc.isDirty, true);

    await vscode.commands.executeCommand('undo');
    await until('undo to remove the inserted cell', () => doc.cellCount === before);
    assert.equal(doc.cellAt(1).document.getText(), 'print(1 + 1)');
    await until('the notebook to be clean again', () => !doc.isDirty);
  });
});
