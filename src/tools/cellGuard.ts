// Never overwrite the person: a session remembers, per notebook, what it last read or wrote of
// each cell (a print of its source, tools/../agents/prints.ts) and which cell it saw at which
// index. A cell edit is refused when that cell changed since (someone typed in it), and an edit by
// index is refused when the index now holds another cell (cells were added or moved above it).
// The check runs inside the store's edit plan, under the notebook's lock, so a change cannot slip
// in between the check and the write. `overwrite: true` insists. A session that never saw the cell
// is not blocked (it cannot have missed anything); the result says it edited blind.
import { cellPrint } from '../agents/prints';
import { cellRefId, firstLine } from '../notebooks/cells';
import { joinSource, type Notebook } from '../notebooks/nbformat';
import type { CellEdit, EditPlan, EditResult } from '../notebooks/store';
import { addCallNote } from '../util/callNotes';
import { ToolError, type SeenCells, type SessionState, type ToolContext } from './tool';
import { callText } from './notebookView';

/** How a tool names the cell it edits, and whether it insists. */
export interface GuardRef {
  index?: number;
  cell_id?: string;
  overwrite?: boolean;
}

/** Largest source quoted in a refusal (bytes): the refusal must fit a client's 8,192-byte view. */
const QUOTE_BYTES = 4500;

function views(session: SessionState): Map<string, SeenCells> {
  session.cells ??= new Map();
  return session.cells;
}

/** The id a cell is known by: its nbformat id, or "index:N" in a notebook without ids. */
const keyOf = cellRefId;

/** Records the cells [from, to) of a read: the session has now seen them as they are. */
export function noteRead(session: SessionState, rel: string, nb: Readonly<Notebook>, from: number, to: number): void {
  const all = views(session);
  let seen = all.get(rel);
  if (!seen) all.set(rel, (seen = { prints: new Map(), at: new Map() }));
  for (let i = from; i < Math.min(to, nb.cells.length); i++) {
    const key = keyOf(nb.cells[i], i);
    seen.prints.set(key, cellPrint(nb.cells[i]));
    seen.at.set(i, key);
  }
}

/** The session wrote the whole notebook (write_notebook, create_notebook): it knows all of it. */
export function noteWhole(session: SessionState, rel: string, nb: Readonly<Notebook>): void {
  views(session).delete(rel);
  noteRead(session, rel, nb, 0, nb.cells.length);
}

/**
 * Checks, inside an edit plan, that the cell at `i` (named by `ref`) is the one this session saw
 * there and is unchanged since. Throws a ToolError naming what changed (with the cell's current
 * source, so the agent can redo its edit on it); adds the "edited blind" note when the session
 * never saw the cell.
 */
export function checkCell(session: SessionState, rel: string, nb: Readonly<Notebook>, i: number, ref: GuardRef): void {
  if (ref.overwrite) return;
  const seen = session.cells?.get(rel);
  const cell = nb.cells[i];
  const key = keyOf(cell, i);
  const byIndex = ref.cell_id === undefined || ref.cell_id === '';
  if (byIndex && seen?.at.has(i) && seen.at.get(i) !== key) {
    const meant = seen.at.get(i)!;
    const now = nb.cells.findIndex((c, j) => keyOf(c, j) === meant);
    const where = meant.startsWith('index:') ? '' : now < 0 ? `, which was removed since` : `, now at index ${now}`;
    throw new ToolError(
      `Index ${i} of ${rel} now holds another cell than the one this session saw there: cells were added, moved or removed since your last read, so nothing was changed. ` +
        `Index ${i} is now cell ${key} (${cell.cell_type}: "${firstLine(cell, 60)}"); you saw cell ${meant} there${where}. ` +
        `Name the cell by cell_id${now >= 0 && !meant.startsWith('index:') ? ` ("cell_id": "${meant}" for the one you saw)` : ''}, or read the notebook again (read_notebook format "outline"); overwrite: true edits index ${i} as it is now.`,
    );
  }
  const saw = seen?.prints.get(key);
  if (saw === undefined) {
    addCallNote(
      `Edited blind: this session had not read cell ${key} of ${rel}, so the edit was not checked against changes made meanwhile (by the person or another agent). Read a notebook before editing it to have edits checked.`,
    );
    return;
  }
  if (saw === cellPrint(cell)) return;
  const src = joinSource(cell.source);
  const quoted = quote(src);
  // The refusal shows the cell as it is now: quoted whole, the session has seen it, and an edit
  // redone on that text goes through.
  if (quoted.whole) seen!.prints.set(key, cellPrint(cell));
  const readCall = callText({ tool: 'read_notebook', arguments: { path: rel, format: 'source', start_index: i, limit: 1 } });
  throw new ToolError(
    `Cell ${key} (index ${i}) of ${rel} changed since this session last read it (someone edited it: the person in the editor, or another agent); nothing was changed. ` +
      (quoted.whole
        ? `Its ${cell.cell_type} source now:\n-----\n${quoted.text}\n-----\nRedo your edit on this text, or pass overwrite: true to replace it anyway.`
        : `Its ${cell.cell_type} source now begins:\n-----\n${quoted.text}\n-----\n(${src.length - quoted.text.length} more characters: read it all with ${readCall}). Redo your edit on the current text, or pass overwrite: true to replace it anyway.`),
  );
}

function quote(src: string): { text: string; whole: boolean } {
  if (Buffer.byteLength(src, 'utf8') <= QUOTE_BYTES) return { text: src, whole: true };
  let text = src.slice(0, QUOTE_BYTES);
  while (Buffer.byteLength(text, 'utf8') > QUOTE_BYTES) text = text.slice(0, Math.floor(text.length * 0.9));
  return { text, whole: false };
}

/**
 * After the session's own edit: the cells it wrote are now known as it wrote them, and what it knew
 * of the others follows them to their new indexes. What others changed meanwhile is NOT taken in:
 * the session still has not seen it, so a later edit of such a cell is still refused.
 */
export function noteEdit(session: SessionState, rel: string, before: Readonly<Notebook>, edits: readonly CellEdit[], after: Readonly<Notebook>): void {
  const all = views(session);
  let seen = all.get(rel);
  if (!seen) all.set(rel, (seen = { prints: new Map(), at: new Map() }));
  if (!edits.some((e) => e.kind === 'insert' || e.kind === 'delete' || e.kind === 'move') && !idsGiven(before, after)) {
    // No cell moved and no id changed (the usual edit): only the cells the edits name are looked at,
    // however large the notebook.
    for (const e of edits) {
      if (e.kind === 'notebookMetadata' || e.kind === 'insert' || e.kind === 'delete' || e.kind === 'move') continue;
      const cell = after.cells[e.index];
      if (cell && before.cells[e.index] !== cell && cellPrint(before.cells[e.index]) !== cellPrint(cell)) {
        const key = keyOf(cell, e.index);
        seen.prints.set(key, cellPrint(cell));
        seen.at.set(e.index, key);
      }
    }
    return;
  }
  const at = new Map<number, string>();
  const one = edits.length === 1 ? edits[0] : undefined;
  if (one?.kind === 'insert' && !idsGiven(before, after) && after.cells.length === before.cells.length + one.cells.length) {
    // One insert (add_cell), the usual structural edit: the cells after it move down by the number
    // inserted; only the new cells are looked at, not every cell of a large notebook.
    const k = one.cells.length;
    for (let j = one.index; j < one.index + k; j++) {
      const key = keyOf(after.cells[j], j);
      seen.prints.set(key, cellPrint(after.cells[j]));
      at.set(j, key);
    }
    followMoves(seen, before, after, at, (i) => (i >= before.cells.length ? undefined : i < one.index ? i : i + k));
    return;
  }
  // Which cell of `before` each cell of `after` is (-1: inserted by this edit).
  const origin = before.cells.map((_, i) => i);
  for (const e of edits) {
    if (e.kind === 'insert') origin.splice(e.index, 0, ...e.cells.map(() => -1));
    else if (e.kind === 'delete') origin.splice(e.index, e.count);
    else if (e.kind === 'move') origin.splice(e.to, 0, ...origin.splice(e.from, 1));
  }
  if (origin.length !== after.cells.length) {
    // Not the plan's result (cannot happen with the stores): forget rather than guess.
    all.delete(rel);
    return;
  }
  const newIndex = new Map<number, number>();
  const inserted = new Set<string>();
  origin.forEach((o, j) => {
    const cell = after.cells[j];
    const key = keyOf(cell, j);
    if (o < 0) {
      inserted.add(key);
      seen!.prints.set(key, cellPrint(cell));
      at.set(j, key);
      return;
    }
    newIndex.set(o, j);
    const old = before.cells[o];
    const oldKey = keyOf(old, o);
    if (old !== cell && cellPrint(old) !== cellPrint(cell)) {
      // This edit wrote the cell: known as written, and where it is.
      seen!.prints.set(key, cellPrint(cell));
      at.set(j, key);
    } else if (oldKey !== key) {
      // Ids given to a notebook that had none: what was known by index is now known by id.
      const p = seen!.prints.get(oldKey);
      if (p !== undefined) seen!.prints.set(key, p);
    }
  });
  // Cells this edit removed: what the session knew of them goes too (a session adding and removing
  // cells for hours would otherwise keep a print per cell it ever removed). Index keys stay: they
  // name whatever cell is at that index now.
  before.cells.forEach((old, i) => {
    const key = keyOf(old, i);
    if (!newIndex.has(i) && !key.startsWith('index:') && !inserted.has(key)) seen!.prints.delete(key);
  });
  followMoves(seen, before, after, at, (i) => newIndex.get(i));
}

/** What the session saw at each index follows its cell to the cell's new index (`to`). */
function followMoves(seen: SeenCells, before: Readonly<Notebook>, after: Readonly<Notebook>, at: Map<number, string>, to: (i: number) => number | undefined): void {
  for (const [i, key] of seen.at) {
    const j = to(i);
    const was = before.cells[i];
    if (j !== undefined && was && keyOf(was, i) === key) {
      // The cell the session saw at i was still there: it is now at j.
      if (!at.has(j)) at.set(j, keyOf(after.cells[j], j));
    } else if (j !== undefined && !at.has(i)) {
      // The session's view of index i was already stale: it stays stale (and refuses).
      at.set(i, key);
    }
  }
  seen.at = at;
}

/** Whether this edit gave ids to cells that had none (a notebook below 4.5, upgraded on its first edit). */
function idsGiven(before: Readonly<Notebook>, after: Readonly<Notebook>): boolean {
  return before.nbformat_minor !== after.nbformat_minor || (before.cells.length > 0 && before.cells[0].id !== after.cells[0]?.id);
}

/**
 * Runs a cell edit through the store with the session's checks: `plan` gets the current notebook
 * and a `check(i, ref)` to call on each cell it is about to change. Afterwards the session's view
 * follows its own edit.
 */
export async function editChecked<T>(
  ctx: ToolContext,
  path: string,
  plan: (nb: Readonly<Notebook>, check: (i: number, ref: GuardRef) => void) => EditPlan<T>,
): Promise<EditResult<T>> {
  let before: Readonly<Notebook> | undefined;
  let planned: readonly CellEdit[] = [];
  const res = await ctx.notebooks.edit(path, (nb, info) => {
    const out = plan(nb, (i, ref) => checkCell(ctx.session, info.relativePath, nb, i, ref));
    before = nb;
    planned = out.edits;
    return out;
  });
  if (before && planned.length > 0) noteEdit(ctx.session, res.relativePath, before, planned, res.notebook);
  ctx.session.seen.set(res.relativePath, res.version);
  return res;
}

/**
 * For write_notebook: the cells that changed since this session saw them (it saw them, and their
 * print differs now), as "id (index i): first line". Empty when nothing the session saw changed.
 */
export function changedSinceSeen(session: SessionState, rel: string, nb: Readonly<Notebook>): string[] {
  const seen = session.cells?.get(rel);
  if (!seen) return [];
  const out: string[] = [];
  nb.cells.forEach((cell, i) => {
    const saw = seen.prints.get(keyOf(cell, i));
    if (saw !== undefined && saw !== cellPrint(cell)) out.push(`${keyOf(cell, i)} (index ${i}): "${firstLine(cell, 60)}"`);
  });
  return out;
}
