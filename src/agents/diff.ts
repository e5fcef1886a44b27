// What an agent's call did to a notebook, cell by cell: from the edit list of a cell tool (cheap:
// only the cells the edits name are looked at, whatever the notebook's size), or from the
// notebook before and after a whole write.
import { cellRefId } from '../notebooks/cells';
import type { Notebook } from '../notebooks/nbformat';
import type { CellEdit } from '../notebooks/store';
import { cellPrint, outputsPrint, sameCell, valuePrint } from './prints';
import { longestIncreasing } from '../util/longestIncreasing';

export type ChangeKind = 'added' | 'edited' | 'ran' | 'moved' | 'removed';

/** One cell an agent's call changed: its index before (absent: added) and after (absent: removed). */
export interface CellChange {
  before?: number;
  after?: number;
  kinds: ChangeKind[];
}

export interface NotebookChanges {
  cells: CellChange[];
  /** The notebook's metadata changed. */
  metadata: boolean;
}

/**
 * The cells `edits` changed, turning `before` into `after` (= applyEdits(before, edits)).
 * `outputs`: what an outputs edit means ("ran" for execution tools, "edited" for clear_outputs).
 */
export function changesOfEdits(before: Readonly<Notebook>, edits: readonly CellEdit[], after: Readonly<Notebook>, outputs: 'ran' | 'edited'): NotebookChanges {
  if (!edits.some((e) => e.kind === 'insert' || e.kind === 'delete' || e.kind === 'move')) return inPlace(before, edits, after, outputs);
  // Each position holds the index in `before` of the cell there, or a negative code for a new cell.
  const seq = before.cells.map((_, i) => i);
  const kinds = new Map<number, Set<ChangeKind>>();
  const removed: number[] = [];
  let fresh = 0;
  let metadata = false;
  const add = (code: number | undefined, kind: ChangeKind) => {
    if (code === undefined) return;
    let set = kinds.get(code);
    if (!set) kinds.set(code, (set = new Set()));
    set.add(kind);
  };
  for (const e of edits) {
    switch (e.kind) {
      case 'insert': {
        const codes = e.cells.map(() => -1 - fresh++);
        seq.splice(e.index, 0, ...codes);
        for (const c of codes) add(c, 'added');
        break;
      }
      case 'delete':
        for (const code of seq.splice(e.index, e.count)) {
          if (code >= 0) removed.push(code);
          kinds.delete(code);
        }
        break;
      case 'move': {
        const [code] = seq.splice(e.from, 1);
        seq.splice(e.to, 0, code);
        if (code >= 0) add(code, 'moved');
        break;
      }
      case 'outputs':
        if (seq[e.index] >= 0) add(seq[e.index], outputs);
        break;
      case 'notebookMetadata':
        metadata = true;
        break;
      default:
        // source, cellType, cellMetadata, cell
        if (seq[e.index] >= 0) add(seq[e.index], 'edited');
    }
  }
  const cells: CellChange[] = [];
  if (seq.length !== after.cells.length) return changesOfWrite(before, after);
  seq.forEach((code, j) => {
    const set = kinds.get(code);
    if (!set) return;
    if (code < 0) {
      cells.push({ after: j, kinds: ['added'] });
      return;
    }
    // An edit that left the cell as it was (the same text written again) changed nothing.
    if (!set.has('moved') && sameCell(before.cells[code], after.cells[j])) return;
    cells.push({ before: code, after: j, kinds: [...set] });
  });
  for (const code of removed) cells.push({ before: code, kinds: ['removed'] });
  return { cells, metadata: metadata && valuePrint(before.metadata) !== valuePrint(after.metadata) };
}

/** changesOfEdits for edits that move no cell: only the cells they name are looked at. */
function inPlace(before: Readonly<Notebook>, edits: readonly CellEdit[], after: Readonly<Notebook>, outputs: 'ran' | 'edited'): NotebookChanges {
  const kinds = new Map<number, Set<ChangeKind>>();
  let metadata = false;
  for (const e of edits) {
    if (e.kind === 'notebookMetadata') {
      metadata = true;
      continue;
    }
    if (e.kind === 'insert' || e.kind === 'delete' || e.kind === 'move') continue;
    let set = kinds.get(e.index);
    if (!set) kinds.set(e.index, (set = new Set()));
    set.add(e.kind === 'outputs' ? outputs : 'edited');
  }
  const cells: CellChange[] = [];
  for (const [i, set] of kinds) if (!sameCell(before.cells[i], after.cells[i])) cells.push({ before: i, after: i, kinds: [...set] });
  return { cells, metadata: metadata && valuePrint(before.metadata) !== valuePrint(after.metadata) };
}

/** The cells that differ between two whole notebooks, matched by cell id (write_notebook, create). */
export function changesOfWrite(before: Readonly<Notebook>, after: Readonly<Notebook>): NotebookChanges {
  const where = new Map<string, number>();
  before.cells.forEach((c, i) => where.set(cellRefId(c, i), i));
  const cells: CellChange[] = [];
  const kept: { at: number; from: number }[] = [];
  after.cells.forEach((c, j) => {
    const o = where.get(cellRefId(c, j));
    if (o === undefined) {
      cells.push({ after: j, kinds: ['added'] });
      return;
    }
    where.delete(cellRefId(c, j));
    kept.push({ at: j, from: o });
  });
  const inPlace = new Set(longestIncreasing(kept).map((k) => k.at));
  for (const { at, from } of kept) {
    const kinds: ChangeKind[] = [];
    const a = before.cells[from];
    const b = after.cells[at];
    if (cellPrint(a) !== cellPrint(b) || JSON.stringify(a.metadata ?? {}) !== JSON.stringify(b.metadata ?? {})) kinds.push('edited');
    else if (outputsPrint(a) !== outputsPrint(b)) kinds.push('ran');
    if (!inPlace.has(at)) kinds.push('moved');
    if (kinds.length) cells.push({ before: from, after: at, kinds });
  }
  for (const o of where.values()) cells.push({ before: o, kinds: ['removed'] });
  return { cells, metadata: valuePrint(before.metadata) !== valuePrint(after.metadata) };
}
