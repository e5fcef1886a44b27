// The agent-change records as kept in memory and as written to the checkpoint folder's index.json
// (read back after a window reload or a server restart). Whatever the file holds is checked
// field by field: a damaged or foreign index loses records, never crashes the server.
import { cellRefId } from '../notebooks/cells';
import { fileBytes, serializeNotebookPieces, type Cell, type Notebook } from '../notebooks/nbformat';
import type { ChangeKind } from './diff';
import type { CellMark, MetaMark } from './revert';

export interface Checkpoint {
  seq: number;
  at: number;
  /** Its file name in the checkpoint folder. */
  name: string;
  /** The notebook, while it is needed in memory (not yet saved, or the active checkpoint). */
  notebook?: Notebook;
  /** Bytes on disk, once saved. */
  size?: number;
  state: 'pending' | 'saved' | 'failed';
  /** Why it is not on disk (failed). */
  problem?: string;
  /** Its cells by id (built on first use). */
  byId?: Map<string, Cell>;
}

export interface NotebookRecord {
  /** Workspace-relative path. */
  path: string;
  checkpoints: Checkpoint[];
  cells: Map<string, CellMark>;
  meta?: MetaMark;
  /** Time of the last agent change. */
  last: number;
  nextSeq: number;
  /** The notebook did not exist before this agent created it. */
  created?: { agent: string; at: number };
}

const KINDS: readonly ChangeKind[] = ['added', 'edited', 'ran', 'moved', 'removed'];

export function saveRecords(records: Iterable<NotebookRecord>): string {
  const notebooks = [...records]
    .filter((r) => r.cells.size > 0 || r.meta)
    .map((r) => ({
      path: r.path,
      last: r.last,
      nextSeq: r.nextSeq,
      ...(r.created ? { created: r.created } : {}),
      checkpoints: r.checkpoints.map((c) => ({ seq: c.seq, at: c.at, name: c.name, state: c.state === 'pending' ? 'failed' : c.state, ...(c.size ? { size: c.size } : {}), ...(c.problem ? { problem: c.problem } : {}) })),
      cells: [...r.cells.entries()],
      ...(r.meta ? { meta: r.meta } : {}),
    }));
  return JSON.stringify({ version: 1, notebooks });
}

export function loadRecords(json: unknown): NotebookRecord[] {
  const list = (json as { version?: unknown; notebooks?: unknown } | undefined)?.notebooks;
  if ((json as { version?: unknown })?.version !== 1 || !Array.isArray(list)) return [];
  const out: NotebookRecord[] = [];
  for (const raw of list) {
    try {
      const r = raw as Record<string, unknown>;
      if (typeof r.path !== 'string' || typeof r.last !== 'number' || !Array.isArray(r.checkpoints) || !Array.isArray(r.cells)) continue;
      const checkpoints: Checkpoint[] = (r.checkpoints as Record<string, unknown>[])
        .filter((c) => typeof c?.seq === 'number' && typeof c.at === 'number' && typeof c.name === 'string' && /^[^/\\]+\.ipynb$/.test(c.name as string))
        .map((c) => ({
          seq: c.seq as number,
          at: c.at as number,
          name: c.name as string,
          state: c.state === 'saved' ? 'saved' : 'failed',
          ...(typeof c.size === 'number' ? { size: c.size } : {}),
          ...(typeof c.problem === 'string' ? { problem: c.problem } : c.state !== 'saved' ? { problem: `A checkpoint of ${r.path} was not saved before the server stopped.` } : {}),
        }));
      const cells = new Map<string, CellMark>();
      for (const entry of r.cells as unknown[]) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
        const m = mark(entry[1]);
        if (m) cells.set(entry[0], m);
      }
      const meta = metaMark(r.meta);
      const created = r.created as { agent?: unknown; at?: unknown } | undefined;
      out.push({
        path: r.path,
        last: r.last,
        nextSeq: typeof r.nextSeq === 'number' ? r.nextSeq : checkpoints.reduce((n, c) => Math.max(n, c.seq + 1), 1),
        checkpoints,
        cells,
        ...(meta ? { meta } : {}),
        ...(created && typeof created.agent === 'string' && typeof created.at === 'number' ? { created: { agent: created.agent, at: created.at } } : {}),
      });
    } catch {
      // A record we cannot read is dropped; the others load.
    }
  }
  return out;
}

function mark(v: unknown): CellMark | undefined {
  const m = v as Record<string, unknown>;
  if (!m || typeof m.agent !== 'string' || typeof m.print !== 'string' || typeof m.at !== 'number' || !Array.isArray(m.kinds)) return undefined;
  const kinds = (m.kinds as unknown[]).filter((k): k is ChangeKind => KINDS.includes(k as ChangeKind));
  if (!kinds.length) return undefined;
  const orig = m.orig as Record<string, unknown> | undefined;
  let o: CellMark['orig'];
  if (orig && typeof orig.cp === 'number') o = { cp: orig.cp };
  else if (orig && isCell(orig.cell)) o = { cell: orig.cell };
  if (!o && !kinds.includes('added')) return undefined;
  const ref = (x: unknown) => (typeof x === 'string' || x === null ? x : undefined);
  return {
    agent: m.agent,
    agents: Array.isArray(m.agents) ? (m.agents as unknown[]).filter((a): a is string => typeof a === 'string') : [m.agent],
    kinds,
    first: typeof m.first === 'number' ? m.first : m.at,
    at: m.at,
    print: m.print,
    ...(typeof m.outPrint === 'string' ? { outPrint: m.outPrint } : {}),
    ...(o ? { orig: o } : {}),
    ...(ref(m.prev) !== undefined ? { prev: ref(m.prev) } : {}),
    ...(ref(m.next) !== undefined ? { next: ref(m.next) } : {}),
    ...(typeof m.was === 'number' ? { was: m.was } : {}),
  };
}

function metaMark(v: unknown): MetaMark | undefined {
  const m = v as Record<string, unknown> | undefined;
  if (!m || typeof m.agent !== 'string' || typeof m.print !== 'string' || typeof m.at !== 'number') return undefined;
  const orig = m.orig as Record<string, unknown> | undefined;
  if (orig && typeof orig.cp === 'number') return { agent: m.agent, at: m.at, print: m.print, orig: { cp: orig.cp } };
  if (orig && orig.value && typeof orig.value === 'object' && !Array.isArray(orig.value)) return { agent: m.agent, at: m.at, print: m.print, orig: { value: orig.value as Record<string, unknown> } };
  return undefined;
}

function isCell(v: unknown): v is Cell {
  const c = v as Record<string, unknown>;
  return !!c && typeof c === 'object' && (c.cell_type === 'code' || c.cell_type === 'markdown' || c.cell_type === 'raw') && (typeof c.source === 'string' || Array.isArray(c.source));
}

/** A checkpoint's cell by id (from the notebook in memory; undefined once it was released). */
export function cpCell(cp: Checkpoint, id: string): Cell | undefined {
  if (!cp.notebook) return undefined;
  if (!cp.byId) cp.byId = new Map(cp.notebook.cells.map((c, i) => [cellRefId(c, i), c]));
  return cp.byId.get(id);
}

/** A checkpoint that could not be saved: the marks that rely on it keep their cells themselves. */
export function keepCellsOf(rec: NotebookRecord, cp: Checkpoint): void {
  for (const [id, m] of rec.cells) {
    if (m.orig && 'cp' in m.orig && m.orig.cp === cp.seq) {
      const cell = cpCell(cp, id);
      if (cell) m.orig = { cell };
    }
  }
  if (rec.meta && 'cp' in rec.meta.orig && rec.meta.orig.cp === cp.seq && cp.notebook) rec.meta.orig = { value: cp.notebook.metadata };
}

export function checkpointBytes(nb: Notebook): Buffer {
  return fileBytes(nb) ?? Buffer.concat(serializeNotebookPieces(nb));
}

/** Whether `nb` would be written as exactly the checkpoint's bytes (nothing but agent changes undone). */
export function sameBytes(nb: Notebook, cp: Notebook): boolean {
  return Buffer.concat(serializeNotebookPieces(nb)).equals(Buffer.concat(serializeNotebookPieces(cp)));
}

export function checkpointName(rel: string, at: number): string {
  const base = rel.split('/').pop()!.replace(/\.ipynb$/i, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60) || 'notebook';
  return `${base}.before-agent.${new Date(at).toISOString().replace(/[:.]/g, '-')}.${Math.random().toString(36).slice(2, 8)}.ipynb`;
}
