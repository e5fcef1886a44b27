// Cell lookups and edit application shared by every store and tool.
import { ToolError } from '../common/errors';
import type { Cell, Notebook } from './nbformat';
import { newCellId, normaliseOutput, splitLines, supportsCellIds, joinSource } from './nbformat';
import type { CellEdit } from './store';

/** How an agent names a cell: by position (the seed's `index`) or by stable nbformat id. */
export interface CellRef {
  index?: number;
  cell_id?: string;
}

/** Finds a cell by id or index; errors say what exists so the model can correct itself. */
export function resolveCell(nb: Readonly<Notebook>, ref: CellRef, what = 'cell'): number {
  const count = nb.cells.length;
  if (ref.cell_id !== undefined && ref.cell_id !== '') {
    // "index:N" is accepted as an id for notebooks that have none (nbformat < 4.5).
    const m = /^index:(\d+)$/.exec(ref.cell_id);
    const idx = m ? Number(m[1]) : nb.cells.findIndex((c) => c.id === ref.cell_id);
    if (idx < 0 || idx >= count) {
      throw new ToolError(
        `Cell id "${ref.cell_id}" not found in this notebook (${count} cells). Call read_notebook with format "outline" to see the current cell ids.`,
      );
    }
    if (ref.index !== undefined && ref.index !== idx) {
      throw new ToolError(`index ${ref.index} and cell_id "${ref.cell_id}" name different cells (that id is at index ${idx}); give only one.`);
    }
    return idx;
  }
  if (ref.index === undefined) throw new ToolError(`Say which ${what}: give "index" (0-based) or "cell_id".`);
  checkIndex(ref.index, count, what);
  return ref.index;
}

export function checkIndex(index: number, count: number, what = 'cell'): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ToolError(
      count === 0
        ? `Index ${index} is out of range: the notebook has no cells.`
        : `Index ${index} is out of range: the notebook has ${count} cells, valid ${what} indexes are 0 to ${count - 1}.`,
    );
  }
}

/** The id an agent should use for a cell: its nbformat id, or "index:N" when the notebook has none. */
export function cellRefId(cell: Cell, index: number): string {
  return typeof cell.id === 'string' ? cell.id : `index:${index}`;
}

/**
 * Upgrades a notebook below 4.5 to 4.5 and gives every cell an id, as Jupyter does on save. Only
 * called when the notebook is being edited anyway, so reading never rewrites a file.
 */
export function ensureCellIds(nb: Notebook): Notebook {
  const missing = nb.cells.some((c) => typeof c.id !== 'string');
  if (supportsCellIds(nb) && !missing) return nb;
  const taken = new Set(nb.cells.map((c) => c.id).filter((x): x is string => typeof x === 'string'));
  const cells = nb.cells.map((c) => {
    if (typeof c.id === 'string') return c;
    const id = newCellId(taken);
    taken.add(id);
    return { ...c, id };
  });
  return { ...nb, nbformat_minor: Math.max(nb.nbformat_minor, 5), cells };
}

/** Whether an id is in use, by scanning the cells (plus ids added since): cheaper than a set for one or two lookups. */
function scanIds(cells: readonly Cell[]): IdsInUse {
  const added: string[] = [];
  return { has: (id) => added.includes(id) || cells.some((c) => c.id === id), add: (id) => void added.push(id) };
}

interface IdsInUse {
  has(id: string): boolean;
  add(id: string): void;
}

/**
 * Applies edits to a notebook and returns a new notebook object; cells that are not touched are
 * kept as the same objects (so their exact JSON survives). Throws ToolError on an invalid edit, in
 * which case nothing has been changed.
 */
export function applyEdits(input: Readonly<Notebook>, edits: readonly CellEdit[]): Notebook {
  let nb: Notebook = { ...input, cells: input.cells.slice() };
  if (edits.length > 0) nb = ensureCellIds(nb);
  // The ids in use, made only when an insert needs them: hashing every id of a 5,000-cell notebook
  // was most of an update's own time.
  let taken: Set<string> | undefined;
  const ids = () => (taken ??= new Set(nb.cells.map((c) => c.id as string)));
  for (const e of edits) {
    switch (e.kind) {
      case 'insert': {
        if (!Number.isInteger(e.index) || e.index < 0 || e.index > nb.cells.length) {
          throw new ToolError(`Insert position ${e.index} is out of range: use 0 to ${nb.cells.length} (or -1 for the end).`);
        }
        // A few cells (add_cell): a scan for each id, no set of every id; many: the set.
        const inUse: IdsInUse = e.cells.length > 8 || taken !== undefined ? ids() : scanIds(nb.cells);
        const cells = e.cells.map((c) => {
          if (typeof c.id !== 'string' || inUse.has(c.id)) c = { ...c, id: newCellId(inUse) };
          inUse.add(c.id as string);
          return c;
        });
        nb.cells.splice(e.index, 0, ...cells);
        break;
      }
      case 'delete':
        checkIndex(e.index, nb.cells.length);
        if (e.index + e.count > nb.cells.length) checkIndex(e.index + e.count - 1, nb.cells.length);
        nb.cells.splice(e.index, e.count);
        break;
      case 'move': {
        checkIndex(e.from, nb.cells.length);
        checkIndex(e.to, nb.cells.length, 'target');
        const [cell] = nb.cells.splice(e.from, 1);
        nb.cells.splice(e.to, 0, cell);
        break;
      }
      case 'source':
        checkIndex(e.index, nb.cells.length);
        nb.cells[e.index] = { ...nb.cells[e.index], source: splitLines(e.source) };
        break;
      case 'cellType': {
        checkIndex(e.index, nb.cells.length);
        const old = nb.cells[e.index];
        const cell: Cell = { ...old, cell_type: e.cellType };
        if (e.cellType === 'code') {
          cell.outputs = Array.isArray(old.outputs) ? old.outputs : [];
          cell.execution_count = old.execution_count ?? null;
        } else {
          delete cell.outputs;
          delete cell.execution_count;
        }
        nb.cells[e.index] = cell;
        break;
      }
      case 'cellMetadata':
        checkIndex(e.index, nb.cells.length);
        nb.cells[e.index] = { ...nb.cells[e.index], metadata: e.metadata };
        break;
      case 'outputs': {
        checkIndex(e.index, nb.cells.length);
        const old = nb.cells[e.index];
        if (old.cell_type !== 'code') throw new ToolError(`Cell ${e.index} is a ${old.cell_type} cell; only code cells have outputs.`);
        const cell: Cell = { ...old, outputs: e.outputs.map(normaliseOutput) };
        if (e.executionCount !== undefined) cell.execution_count = e.executionCount;
        nb.cells[e.index] = cell;
        break;
      }
      case 'notebookMetadata':
        nb = { ...nb, metadata: e.metadata };
        break;
      case 'cell':
        checkIndex(e.index, nb.cells.length);
        nb.cells[e.index] = e.cell;
        break;
    }
  }
  return nb;
}

/** First non-empty line of a cell, cut to `max` characters (for outlines). */
export function firstLine(cell: Cell, max = 80): string {
  const src = joinSource(cell.source);
  const line = src.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}
