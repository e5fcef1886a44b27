// Planning a revert, cell by cell, on the notebook as it is now: cells the agent added are removed,
// cells it changed (or ran, or moved) get back what they were before its first change, cells it
// removed come back in place. A cell someone changed after the agent (the person typing in it, or
// another agent) is left as it is now and listed. The result is one list of CellEdits, applied by
// the store in one step: one WorkspaceEdit (one undo) for an open notebook, one atomic write
// otherwise. Pure: no I/O, no vscode.
import { cellRefId } from '../notebooks/cells';
import type { Cell, Notebook } from '../notebooks/nbformat';
import type { CellEdit } from '../notebooks/store';
import type { ChangeKind } from './diff';
import { cellPrint, outputsPrint, sameCell, valuePrint } from './prints';

/** What the tracker knows of one cell an agent changed (see changes.ts). */
export interface CellMark {
  /** The agent of the last change. */
  agent: string;
  /** Every agent that changed the cell, in order. */
  agents: string[];
  kinds: ChangeKind[];
  /** First and last change (ms since epoch). */
  first: number;
  at: number;
  /** Print of the cell's source after the agent's last change: differs once someone else edits it. */
  print: string;
  /** Print of its outputs after the agent's last change. */
  outPrint?: string;
  /** Where the cell as it was before the agent's first change is kept (none for added cells). */
  orig?: { cp: number } | { cell: Cell };
  /** For removed or moved cells: the cells around it before (null: it was first / last). */
  prev?: string | null;
  next?: string | null;
  /** Its index before, where neither neighbour is left. */
  was?: number;
}

export interface MetaMark {
  agent: string;
  at: number;
  print: string;
  orig: { cp: number } | { value: Record<string, unknown> };
}

export interface RevertedCell {
  cell_id: string;
  agent: string;
  change: string;
}

export interface LeftCell {
  cell_id: string;
  agent: string;
  why: string;
}

export interface RevertPlan {
  edits: CellEdit[];
  reverted: RevertedCell[];
  left: LeftCell[];
  /** Marks handled (reverted, left, or nothing left to do): the tracker forgets them. */
  done: string[];
  metadata: boolean;
}

/**
 * Plans taking back `marks` on `nb`. `origOf` gives a mark's cell as it was before the agent
 * (undefined when its checkpoint is lost); `metaOrig` the notebook metadata to restore, if any.
 */
export function planRevert(
  nb: Readonly<Notebook>,
  marks: ReadonlyArray<[string, CellMark]>,
  origOf: (m: CellMark, id: string) => Cell | undefined,
  meta?: { mark: MetaMark; value: Record<string, unknown> | undefined },
): RevertPlan {
  const work: Cell[] = nb.cells.slice();
  const indexOf = (id: string) => work.findIndex((c, i) => cellRefId(c, i) === id);
  const edits: CellEdit[] = [];
  const reverted: RevertedCell[] = [];
  const left: LeftCell[] = [];
  const done: string[] = [];
  const leave = (id: string, m: CellMark, why: string) => {
    left.push({ cell_id: id, agent: m.agent, why });
    done.push(id);
  };
  const took = (id: string, m: CellMark) => {
    reverted.push({ cell_id: id, agent: m.agent, change: m.kinds.join(', ') });
    done.push(id);
  };
  const deletes: [string, CellMark][] = [];
  const restores: [string, CellMark, Cell][] = [];
  const moves: [string, CellMark][] = [];

  // 1. Changed cells get their content back in place (no structural change yet).
  for (const [id, m] of marks) {
    const j = indexOf(id);
    const cur = j >= 0 ? work[j] : undefined;
    if (m.kinds.includes('removed')) {
      if (cur) {
        done.push(id); // back already (the person undid the removal)
        continue;
      }
      const orig = origOf(m, id);
      if (!orig) leave(id, m, 'its content before the agent is no longer kept (checkpoint lost)');
      else restores.push([id, m, orig]);
      continue;
    }
    if (!cur) {
      // Added and gone: nothing to take back. Changed and gone: someone deleted it since.
      if (m.kinds.includes('added')) done.push(id);
      else leave(id, m, 'deleted since the agent changed it: left deleted');
      continue;
    }
    if (cellPrint(cur) !== m.print) {
      leave(id, m, m.kinds.includes('added') ? 'changed after the agent added it: kept as it is now' : 'changed after the agent: kept as it is now');
      continue;
    }
    if (m.kinds.includes('added')) {
      deletes.push([id, m]);
      continue;
    }
    const orig = origOf(m, id);
    if (!orig) {
      leave(id, m, 'its content before the agent is no longer kept (checkpoint lost)');
      continue;
    }
    // Outputs someone made after the agent's run stay (they belong to whoever ran it last).
    const rerun = m.outPrint !== undefined && outputsPrint(cur) !== m.outPrint;
    let back: Cell = rerun && cur.cell_type === 'code' && orig.cell_type === 'code' ? { ...orig, outputs: cur.outputs, execution_count: cur.execution_count } : orig;
    // A cell of a notebook that had no ids got one with the agent's edit: it keeps it.
    if (back.id !== cur.id && typeof cur.id === 'string') back = { ...back, id: cur.id };
    if (!sameCell(back, cur) || back.attachments !== cur.attachments) {
      edits.push({ kind: 'cell', index: j, cell: back });
      work[j] = back;
    }
    if (m.kinds.includes('moved')) moves.push([id, m]);
    took(id, m);
  }

  // 2. Cells the agent added go.
  for (const [id, m] of deletes) {
    const j = indexOf(id);
    edits.push({ kind: 'delete', index: j, count: 1 });
    work.splice(j, 1);
    took(id, m);
  }

  // 3. Cells the agent removed come back, and cells it moved go back, where they were: after the
  // cell that preceded them (else before the one that followed). In the order they had, so that a
  // neighbour that is itself coming back is already in place; one not yet placed does not count.
  const placing = [...restores.map(([id, m, cell]) => ({ id, m, cell })), ...moves.map(([id, m]) => ({ id, m, cell: undefined as Cell | undefined }))];
  placing.sort((a, b) => (a.m.was ?? 0) - (b.m.was ?? 0));
  const pending = new Set(placing.map((p) => p.id));
  const placedIndex = (id: string) => (pending.has(id) ? -1 : indexOf(id));
  for (const { id, m, cell } of placing) {
    pending.delete(id);
    if (cell) {
      const at = placeFor(work, placedIndex, m);
      edits.push({ kind: 'insert', index: at, cells: [cell] });
      work.splice(at, 0, cell);
      took(id, m);
    } else {
      const from = indexOf(id);
      const [moved] = work.splice(from, 1);
      const to = placeFor(work, placedIndex, m);
      work.splice(to, 0, moved);
      if (to !== from) edits.push({ kind: 'move', from, to });
    }
  }

  let metadata = false;
  if (meta) {
    if (valuePrint(nb.metadata) === meta.mark.print && meta.value) {
      edits.push({ kind: 'notebookMetadata', metadata: meta.value });
      metadata = true;
    } else if (valuePrint(nb.metadata) !== meta.mark.print) {
      left.push({ cell_id: '(notebook metadata)', agent: meta.mark.agent, why: 'changed after the agent: kept as it is now' });
    }
  }
  return { edits, reverted, left, done, metadata };
}

/** Where a removed or moved cell goes back: after its old predecessor, else before its old successor. */
function placeFor(work: Cell[], indexOf: (id: string) => number, m: CellMark): number {
  if (m.prev === null) return 0;
  if (m.prev !== undefined) {
    const p = indexOf(m.prev);
    if (p >= 0) return p + 1;
  }
  if (m.next === null) return work.length;
  if (m.next !== undefined) {
    const n = indexOf(m.next);
    if (n >= 0) return n;
  }
  return Math.min(m.was ?? work.length, work.length);
}

/** What a revert did, in one message for the person and the agent. */
export function revertMessage(rel: string, whose: string, reverted: RevertedCell[], left: LeftCell[], metadata: boolean, whole: boolean, created?: { agent: string }): string {
  const parts = [`Reverted ${reverted.length} agent-changed cell${reverted.length === 1 ? '' : 's'}${whose} in ${rel}${metadata ? ' and its metadata' : ''}${whole ? ' (the file is back to its exact bytes before the agent)' : ''}.`];
  if (left.length) {
    parts.push(`Left as they are now (changed after the agent, e.g. by the person): ${left.slice(0, 10).map((l) => `${l.cell_id} (${l.why})`).join('; ')}${left.length > 10 ? `; and ${left.length - 10} more` : ''}.`);
  }
  if (created) parts.push(`${created.agent} created this notebook: delete the file to take it back entirely.`);
  return parts.join(' ');
}
