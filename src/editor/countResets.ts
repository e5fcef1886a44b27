// vscode.ipynb's execution-count reset after our text edits of an open notebook. When a cell's text
// changes, vscode.ipynb sets its execution_count to null by an edit of its own, addressed by cell
// index. The store's next edit that moves cells or changes metadata waits for it (settle), and the
// change it makes is recognised (absorb) so the version returned before it stays valid.
import * as vscode from 'vscode';

/** Longest wait for vscode.ipynb's execution-count reset before a structural edit. */
const COUNT_RESET_WAIT_MS = 1000;

export class CountResets {
  /**
   * Cells whose text we changed and whose execution count vscode.ipynb resets: undefined while the
   * reset is awaited, then the JSON of the metadata it set (VS Code 1.139 reports each change to
   * extensions twice, the second time with the version bumped again).
   */
  private readonly countResets = new WeakMap<vscode.NotebookDocument, Map<vscode.NotebookCell, string | undefined>>();

  /**
   * Whether this change is only vscode.ipynb's follow-up to our text edit (execution_count -> null):
   * the notebook the agent was told about is unchanged in every way it cares about. If so, it is
   * recorded (so VS Code's repeat of it is recognised too).
   */
  absorb(e: vscode.NotebookDocumentChangeEvent): boolean {
    const pending = this.countResets.get(e.notebook);
    if (pending && e.contentChanges.length === 0 && e.metadata === undefined && e.cellChanges.length > 0 && e.cellChanges.every((c) => isCountReset(c, pending))) {
      for (const c of e.cellChanges) pending.set(c.cell, JSON.stringify(c.metadata));
      return true;
    }
    return false;
  }

  /** Cells whose text we just changed: vscode.ipynb will reset their execution count. */
  expect(doc: vscode.NotebookDocument, cells: vscode.NotebookCell[]): void {
    if (cells.length === 0) return;
    let map = this.countResets.get(doc);
    if (!map) this.countResets.set(doc, (map = new Map()));
    for (const c of cells) map.set(c, undefined);
  }


  /**
   * Waits until vscode.ipynb has reset the execution count of the cells whose text we changed (its
   * notebookModelStoreSync does it as an edit of its own, soon after any text change; a save runs
   * it at once). Returns whether it waited, i.e. the document changed meanwhile.
   */
  async settle(doc: vscode.NotebookDocument): Promise<boolean> {
    const cells = this.countResets.get(doc);
    const pending = () => {
      if (!cells || doc.isClosed) return false;
      for (const [c, after] of cells) if (after === undefined && c.index >= 0 && typeof c.metadata?.execution_count === 'number') return true;
      return false;
    };
    if (!pending()) return false;
    // Woken by the change itself (polling every 20 ms added 10 ms on average to each edit).
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.notebook === doc && !pending()) done();
      });
      const timer = setTimeout(done, COUNT_RESET_WAIT_MS);
      if (!pending()) done();
    });
    // A reset that did not come in time is not waited for again; those that came stay known, so
    // VS Code's repeat of them keeps the version (see absorb).
    for (const [c, after] of cells ?? []) if (after === undefined || c.index < 0) cells!.delete(c);
    return true;
  }
}

/** A cell change that is only vscode.ipynb resetting the execution count of a cell we text-edited. */
function isCountReset(c: vscode.NotebookDocumentCellChange, pending: Map<vscode.NotebookCell, string | undefined>): boolean {
  if (!pending.has(c.cell) || c.document !== undefined || c.outputs !== undefined || c.executionSummary !== undefined || c.metadata === undefined) return false;
  if (c.metadata.execution_count != null) return false;
  // The reset itself, or VS Code's repeat of it (same metadata); not a later change of the metadata.
  const seen = pending.get(c.cell);
  return seen === undefined || seen === JSON.stringify(c.metadata);
}
