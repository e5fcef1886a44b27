// The edit planner of the open-notebook store: turns a plan's CellEdits (computed on the nbformat
// view) into ONE WorkspaceEdit on the NotebookDocument, so the agent's change is a single undo step.
import * as vscode from 'vscode';
import { joinSource, type Cell, type Notebook } from '../notebooks/nbformat';
import type { CellEdit } from '../notebooks/store';
import { layout, notebookMetadata, preferredLanguage, toCellData } from './ipynbConvert';
import { longestIncreasing } from '../util/longestIncreasing';

/**
 * Builds one WorkspaceEdit that turns the document (whose nbformat view is `before`) into `after`
 * (= applyEdits(before, edits)). NotebookEdits in one WorkspaceEdit are all applied against the
 * document as it was (VS Code sorts them by position), so positions here are original indices:
 * the cells that keep their place are found first, and every gap between them is one replaceCells.
 */
export function buildWorkspaceEdit(
  doc: vscode.NotebookDocument,
  before: Notebook,
  edits: readonly CellEdit[],
  after: Notebook,
): { edit: vscode.WorkspaceEdit; countsToClear: vscode.NotebookCell[]; empty: boolean; textOnly: boolean } {
  let textEdits = 0;
  // Which original cell each cell of `after` came from (-1: a new cell).
  const origin = before.cells.map((_, i) => i);
  for (const e of edits) {
    if (e.kind === 'insert') origin.splice(e.index, 0, ...e.cells.map(() => -1));
    else if (e.kind === 'delete') origin.splice(e.index, e.count);
    else if (e.kind === 'move') origin.splice(e.to, 0, ...origin.splice(e.from, 1));
  }
  if (origin.length !== after.cells.length) throw new Error(`internal: ${origin.length} cells tracked, ${after.cells.length} planned`);

  // Cells that can be updated in place (same kind, same outputs), kept in their original order.
  const candidates: { at: number; from: number }[] = [];
  origin.forEach((from, at) => {
    if (from >= 0 && updatableInPlace(before.cells[from], after.cells[at])) candidates.push({ at, from });
  });
  let kept = longestIncreasing(candidates);
  // Source changes go into the cell's text (TextEdit) only when no cell moves: vscode.ipynb answers a
  // text change with a metadata edit addressed by cell index, computed before the structural part of
  // the same WorkspaceEdit has reached it (seen in 1.139: the metadata landed on the wrong cell).
  // With structural changes, changed cells are replaced instead, all in one notebook-level edit.
  const structural = kept.length !== before.cells.length || after.cells.length !== before.cells.length;
  // Likewise a cell whose source AND metadata change is replaced: vscode.ipynb's edit for the text
  // change is built from the metadata it saw before ours arrived, and would write that back.
  kept = kept.filter((k) => {
    // applyEdits keeps the objects of cells it did not touch: nothing to compare.
    if (before.cells[k.from] === after.cells[k.at]) return true;
    const sameSource = joinSource(before.cells[k.from].source) === joinSource(after.cells[k.at].source);
    return sameSource || (!structural && JSON.stringify(layout(before.cells[k.from])) === JSON.stringify(layout(after.cells[k.at])));
  });
  const keptAt = new Map(kept.map((k) => [k.at, k.from]));
  const countsToClear: vscode.NotebookCell[] = [];

  const lang = preferredLanguage(after, doc);
  const edit = new vscode.WorkspaceEdit();
  const cellEdits: vscode.NotebookEdit[] = [];
  const metadataEdits: vscode.NotebookEdit[] = [];
  let prev = -1;
  let pending: vscode.NotebookCellData[] = [];
  const flush = (end: number) => {
    if (end > prev + 1 || pending.length > 0) cellEdits.push(vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(prev + 1, end), pending));
    pending = [];
  };
  after.cells.forEach((cell, at) => {
    const from = keptAt.get(at);
    if (from === undefined) {
      pending.push(toCellData(cell, lang));
      return;
    }
    flush(from);
    prev = from;
    const old = before.cells[from];
    if (old === cell) return;
    const docCell = doc.cellAt(from);
    if (joinSource(old.source) !== joinSource(cell.source)) {
      // Replacing the cell's text (not the cell) keeps its identity, outputs and undo history.
      // vscode.ipynb then sets a code cell's execution_count to null (its notebookModelStoreSync,
      // for any text change): edit() waits for that so the version it returns stays current.
      const text = docCell.document;
      edit.set(text.uri, [vscode.TextEdit.replace(new vscode.Range(text.positionAt(0), text.positionAt(text.getText().length)), joinSource(cell.source))]);
      textEdits++;
      if (cell.cell_type === 'code' && typeof old.execution_count === 'number') countsToClear.push(docCell);
    } else if (JSON.stringify(layout(old)) !== JSON.stringify(layout(cell))) {
      const meta: Record<string, unknown> = { ...docCell.metadata, ...layout(cell) };
      if (cell.attachments === undefined) delete meta.attachments;
      if (cell.id === undefined) delete meta.id;
      metadataEdits.push(vscode.NotebookEdit.updateCellMetadata(from, meta));
    }
  });
  flush(before.cells.length);
  // Metadata edits go last: among edits at the same position VS Code applies the later ones first,
  // so a cell's metadata is updated before a replaceCells ending at it shifts the indexes.
  const notebookEdits = [...cellEdits, ...metadataEdits];
  if (after.nbformat !== before.nbformat || after.nbformat_minor !== before.nbformat_minor || JSON.stringify(after.metadata) !== JSON.stringify(before.metadata)) {
    notebookEdits.push(vscode.NotebookEdit.updateNotebookMetadata(notebookMetadata(doc, after)));
  }
  if (notebookEdits.length > 0) edit.set(doc.uri, notebookEdits);
  // WorkspaceEdit.size does not count notebook edits: say ourselves whether anything was built.
  return { edit, countsToClear, empty: notebookEdits.length === 0 && textEdits === 0, textOnly: notebookEdits.length === 0 };
}

function updatableInPlace(old: Cell, cell: Cell): boolean {
  if (old === cell) return true;
  if (old.cell_type !== cell.cell_type) return false;
  if (cell.cell_type !== 'code') return true;
  // Outputs and the execution count can only be written by replacing the cell.
  if ((old.execution_count ?? null) !== (cell.execution_count ?? null)) return false;
  return old.outputs === cell.outputs || JSON.stringify(old.outputs ?? []) === JSON.stringify(cell.outputs ?? []);
}
