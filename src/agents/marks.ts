// The per-cell marks of one notebook's record (records.ts), as pure functions: adding an agent
// change (who, what, when, what the cell was before, a checkpoint before the first change) and
// listing them against the notebook as it is now. AgentChanges (changes.ts) owns the records,
// saves them and reverts through them.
import { cellRefId } from '../notebooks/cells';
import type { Cell, Notebook } from '../notebooks/nbformat';
import type { ChangeKind, NotebookChanges } from './diff';
import { cellPrint, outputsPrint, sameCell, valuePrint } from './prints';
import { checkpointName, cpCell, type NotebookRecord } from './records';
import type { CellMark } from './revert';

/** One cell an agent changed, as lists and markers show it. */
export interface ChangeEntry {
  cell_id: string;
  /** Its index now; absent for a cell the agent removed (or that is gone). */
  index?: number;
  agent: string;
  agents: string[];
  change: ChangeKind[];
  at: number;
  /** Someone changed the cell after the agent (a revert leaves it as it is now). */
  changed_since?: boolean;
}

/**
 * Records one agent change in `rec` (the record of `rel`): a checkpoint before the agent's first
 * change and again after `quietMs` without one, and a mark per changed cell (and the metadata).
 */
export function markChanges(rec: NotebookRecord, rel: string, before: Readonly<Notebook>, changes: NotebookChanges, after: Readonly<Notebook>, agent: string, now: number, quietMs: number): void {
  // Before the agent's first change, and again after a quiet spell: what the notebook was.
  let cp = rec.checkpoints.at(-1);
  if (!cp || now - rec.last > quietMs) {
    cp = { seq: rec.nextSeq++, at: now, name: checkpointName(rel, now), notebook: before as Notebook, state: 'pending' };
    rec.checkpoints.push(cp);
  }
  // A cell's "before" is what it was just before this agent change, unless the mark already
  // holds an earlier one that is still the agent's (nobody changed the cell since).
  const origFor = (old: Cell, id: string): CellMark['orig'] => {
    const kept = cpCell(cp!, id);
    return kept && sameCell(kept, old) ? { cp: cp!.seq } : { cell: old };
  };
  for (const ch of changes.cells) {
    const oldCell = ch.before !== undefined ? before.cells[ch.before] : undefined;
    const newCell = ch.after !== undefined ? after.cells[ch.after] : undefined;
    const id = newCell ? cellRefId(newCell, ch.after!) : cellRefId(oldCell!, ch.before!);
    let m = rec.cells.get(id);
    if (!oldCell) {
      rec.cells.set(id, { agent, agents: [agent], kinds: ['added'], first: now, at: now, print: cellPrint(newCell!), outPrint: outputsPrint(newCell!) });
      continue;
    }
    if (m && m.print !== cellPrint(oldCell)) m = undefined; // someone changed it after the agent: start again from now
    if (!m) {
      m = { agent, agents: [agent], kinds: [], first: now, at: now, print: '', orig: origFor(oldCell, id) };
      rec.cells.set(id, m);
    }
    if (m.kinds.includes('added') && ch.kinds.includes('removed')) {
      rec.cells.delete(id); // added and removed by agents: nothing of it is left to take back
      continue;
    }
    m.agent = agent;
    if (!m.agents.includes(agent)) m.agents.push(agent);
    for (const k of ch.kinds) if (!m.kinds.includes(k)) m.kinds.push(k);
    m.at = now;
    if ((ch.kinds.includes('removed') || ch.kinds.includes('moved')) && m.prev === undefined) {
      m.prev = ch.before! > 0 ? cellRefId(before.cells[ch.before! - 1], ch.before! - 1) : null;
      m.next = ch.before! < before.cells.length - 1 ? cellRefId(before.cells[ch.before! + 1], ch.before! + 1) : null;
      m.was = ch.before;
    }
    if (newCell) {
      m.print = cellPrint(newCell);
      m.outPrint = outputsPrint(newCell);
    } else m.print = cellPrint(oldCell);
  }
  if (changes.metadata) {
    const mm = rec.meta;
    if (!mm || mm.print !== valuePrint(before.metadata)) {
      const kept = cp.notebook ?? undefined;
      rec.meta = { agent, at: now, print: '', orig: kept && valuePrint(kept.metadata) === valuePrint(before.metadata) ? { cp: cp.seq } : { value: before.metadata } };
    }
    rec.meta!.agent = agent;
    rec.meta!.at = now;
    rec.meta!.print = valuePrint(after.metadata);
  }
  rec.last = now;
}

/** What agents changed in a notebook, as it is now (`nb`), oldest change first. */
export function listChanges(rec: NotebookRecord, nb?: Readonly<Notebook>): { changes: ChangeEntry[]; since?: number; created?: string; problem?: string } {
  const where = new Map<string, number>();
  nb?.cells.forEach((c, i) => where.set(cellRefId(c, i), i));
  const changes = [...rec.cells.entries()]
    .map(([id, m]): ChangeEntry => {
      const j = where.get(id);
      const cur = j !== undefined ? nb!.cells[j] : undefined;
      const since = m.kinds.includes('removed') ? j !== undefined : nb !== undefined && (!cur || cellPrint(cur) !== m.print);
      return { cell_id: id, ...(j !== undefined ? { index: j } : {}), agent: m.agent, agents: m.agents, change: m.kinds, at: m.at, ...(since ? { changed_since: true } : {}) };
    })
    .sort((a, b) => a.at - b.at);
  const problem = rec.checkpoints.find((c) => c.problem)?.problem;
  return { changes, since: rec.checkpoints[0]?.at, ...(rec.created ? { created: rec.created.agent } : {}), ...(problem ? { problem } : {}) };
}
