// Feeds the change source of MCP resources from VS Code: a change to an open notebook (the person
// typing in a cell, running it, an agent's WorkspaceEdit), a notebook closed (its view goes back to
// the file), and, through VS Code's own file watcher (already watching the workspace, so no
// watcher or polling of ours), .ipynb files changed, created or deleted on disk. Kept apart from
// the editor store on purpose: it only reports, it never reads or edits.
import * as path from 'path';
import * as vscode from 'vscode';
import type { NotebookChanges } from '../notebooks/changes';
import type { Workspace } from '../notebooks/paths';

export function feedEditorChanges(workspace: Workspace, changes: NotebookChanges): vscode.Disposable {
  // The workspace-relative path of a notebook file under the root, else undefined.
  const relative = (uri: vscode.Uri): string | undefined => {
    if (uri.scheme !== 'file' && uri.scheme !== 'vscode-notebook-cell') return undefined;
    const abs = path.resolve(uri.fsPath);
    if (!abs.toLowerCase().endsWith('.ipynb')) return undefined;
    const rel = path.relative(workspace.root, abs);
    if (rel === '' || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return undefined;
    return workspace.relative(abs);
  };
  const changed = (uri: vscode.Uri) => {
    const rel = relative(uri);
    if (rel) changes.contentChanged(rel);
  };
  const listed = (uri: vscode.Uri) => {
    const rel = relative(uri);
    if (rel) {
      changes.contentChanged(rel);
      changes.listChanged();
    }
  };
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(workspace.root), '**/*.ipynb'));
  return vscode.Disposable.from(
    watcher,
    watcher.onDidChange(changed),
    watcher.onDidCreate(listed),
    watcher.onDidDelete(listed),
    vscode.workspace.onDidChangeNotebookDocument((e) => changed(e.notebook.uri)),
    // A cell's text document has the notebook's path under the vscode-notebook-cell scheme.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme === 'vscode-notebook-cell' && e.contentChanges.length > 0) changed(e.document.uri);
    }),
    vscode.workspace.onDidCloseNotebookDocument((d) => changed(d.uri)),
  );
}
