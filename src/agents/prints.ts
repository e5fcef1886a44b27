// Cheap fingerprints of cells, to tell "this cell is as it was" without keeping or comparing its
// text: a session's view of a notebook (tools/cellGuard.ts), an agent's change to a cell
// (agents/changes.ts) and the editor's cells (editor/agentMarkers.ts) all compare prints.
//
// Cells are immutable once read (an edit makes a new cell object), so a print is computed once per
// cell object and kept in a WeakMap: on a 471-cell notebook only the cells an edit touched are
// hashed again. The editor side prints a cell's text with the same function (textPrint), so a print
// of an exported cell and of the cell in the editor agree.
import { joinSource, type Cell } from '../notebooks/nbformat';

const sourcePrints = new WeakMap<object, string>();
const outputPrints = new WeakMap<object, string>();

/** The print of a cell's source and type (what the person types; outputs and metadata left out). */
export function cellPrint(cell: Cell): string {
  let p = sourcePrints.get(cell);
  if (p === undefined) {
    p = textPrint(joinSource(cell.source), cell.cell_type);
    sourcePrints.set(cell, p);
  }
  return p;
}

/**
 * The print of a source text of a cell type. Line ends are taken as "\n" (VS Code's cell text and
 * the file may differ there, and the person sees no difference).
 */
export function textPrint(text: string, cellType: string): string {
  const t = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  return `${cellType.charAt(0)}${t.length.toString(36)}.${hash53(t).toString(36)}`;
}

/**
 * The print of a code cell's outputs and execution count ("" for other cells). Kept per outputs
 * list, which an edit of the source carries over to the new cell object: a cell with large
 * outputs is not hashed again when only its text changes.
 */
export function outputsPrint(cell: Cell): string {
  if (cell.cell_type !== 'code') return '';
  const outputs = cell.outputs ?? NO_OUTPUTS;
  let p = outputPrints.get(outputs);
  if (p === undefined) {
    const json = JSON.stringify(outputs);
    p = `${json.length.toString(36)}.${hash53(json).toString(36)}`;
    outputPrints.set(outputs, p);
  }
  return `${cell.execution_count ?? '-'}.${p}`;
}

const NO_OUTPUTS: unknown[] = [];

/** Whether two cells hold the same source, type, outputs and metadata (identity first: the usual case). */
export function sameCell(a: Cell, b: Cell): boolean {
  if (a === b) return true;
  return cellPrint(a) === cellPrint(b) && outputsPrint(a) === outputsPrint(b) && JSON.stringify(a.metadata ?? {}) === JSON.stringify(b.metadata ?? {});
}

/** The print of a JSON value (notebook metadata). */
export function valuePrint(v: unknown): string {
  const json = JSON.stringify(v ?? null);
  return `${json.length.toString(36)}.${hash53(json).toString(36)}`;
}

/** A 53-bit string hash (cyrb53): fast in JS, no allocation; collisions are not a security matter here. */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
