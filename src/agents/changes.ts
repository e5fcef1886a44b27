// What agents changed in which notebook, until the person accepts it: per cell, which agent
// (the MCP client's name), what (added, edited, ran, moved, removed), when, and what the cell was
// before; and checkpoints, the whole notebook as it was before an agent's first change (and again
// after a quiet spell), for the review diff and for reverting a closed notebook to its exact
// bytes. Shared by the standalone server and the extension (no vscode here): the editor's
// markers, commands and status bar read it, the agent_changes tool lists and reverts through it.
//
// Recording costs an edit a few microseconds (the edit's cells are known from its edit list;
// nothing is serialized or written on the edit's path). Checkpoints and the index are written a
// moment later, in the background (CheckpointStore).
// How one change becomes per-cell marks, and how they are listed: marks.ts.
import { promises as fs } from 'fs';
import * as path from 'path';
import { applyEdits, cellRefId } from '../notebooks/cells';
import { fileBytes, parseNotebookBytes, serializeNotebookPiecesSliced, type Cell, type Notebook } from '../notebooks/nbformat';
import type { CellEdit, NotebookInfo, NotebookStore, StoreKind } from '../notebooks/store';
import { ToolError } from '../common/errors';
import type { Caller } from '../util/callNotes';
import type { Logger } from '../util/log';
import { CheckpointError, FORGET_AFTER_DAYS, type CheckpointStore } from './checkpoints';
import { changesOfEdits, changesOfWrite, type ChangeKind, type NotebookChanges } from './diff';
import { sameCell } from './prints';
import { planRevert, revertMessage, type CellMark, type LeftCell, type MetaMark, type RevertedCell } from './revert';
import { checkpointBytes, keepCellsOf, loadRecords, sameBytes, saveRecords, type NotebookRecord } from './records';
import { listChanges, markChanges, type ChangeEntry } from './marks';

/** Without an agent change for this long, the next one starts from a new checkpoint. */
export const QUIET_MS = 10 * 60_000;

/** The agent changes of one notebook, for the status bar and the commands. */
export interface NotebookChangeSummary {
  path: string;
  /** Cells changed and not yet accepted, per agent (the agent of each cell's last change). */
  agents: Record<string, number>;
  since: number;
  /** Why checkpoints are not (all) on disk, if they are not. */
  problem?: string;
}

export interface RevertReport {
  path: string;
  store: StoreKind;
  reverted: RevertedCell[];
  left: LeftCell[];
  metadata: boolean;
  /** The notebook was written back byte for byte as its checkpoint (closed notebook, only agent changes). */
  bytes_restored: boolean;
  message: string;
}

/** The mark of one cell, for the editor's markers. */
export interface CellMarkView {
  agent: string;
  kinds: ChangeKind[];
  at: number;
  print: string;
}

export interface AgentChangesOptions {
  /** The store to read and revert through: NOT the tracking one (a revert is not an agent change). */
  store: NotebookStore;
  checkpoints: CheckpointStore;
  log: Logger;
  now?: () => number;
  quietMs?: number;
}

export class AgentChanges {
  private readonly records = new Map<string, NotebookRecord>();
  private readonly listeners = new Set<(paths: string[]) => void>();
  private changed = new Set<string>();
  private emitTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private dirty = false;
  private readonly now: () => number;
  private readonly quietMs: number;
  /** Resolves once the records kept on disk are loaded. */
  readonly ready: Promise<void>;

  constructor(private readonly opts: AgentChangesOptions) {
    this.now = opts.now ?? Date.now;
    this.quietMs = opts.quietMs ?? QUIET_MS;
    this.ready = this.load();
  }

  get checkpointDir(): string | undefined {
    return this.opts.checkpoints.dir;
  }

  private async load(): Promise<void> {
    const json = await this.opts.checkpoints.readIndex();
    const forget = this.now() - FORGET_AFTER_DAYS * 86_400_000;
    const kept = new Set<string>();
    for (const rec of loadRecords(json)) {
      if (rec.last < forget) {
        for (const cp of rec.checkpoints) await this.opts.checkpoints.remove(cp.name);
        continue;
      }
      if (!this.records.has(rec.path)) this.records.set(rec.path, rec);
      for (const cp of rec.checkpoints) kept.add(cp.name);
    }
    // Checkpoint files no record names (a crash between writing one and the index): gone after a day.
    await this.opts.checkpoints.sweep(kept, 86_400_000);
    if (this.records.size) this.emit(...this.records.keys());
  }

  /** Called with the paths whose agent changes changed (batched, after the edit has answered). */
  onDidChange(listener: (paths: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Recording

  /** After an agent's cell edit (the store applied `edits` to `before`, giving `after`). */
  recordEdit(info: NotebookInfo, before: Readonly<Notebook>, edits: readonly CellEdit[], after: Readonly<Notebook>, caller: Caller): void {
    this.record(info.relativePath, before, changesOfEdits(before, edits, after, /^execute/.test(caller.tool) ? 'ran' : 'edited'), after, caller);
  }

  /** After an agent wrote a whole notebook (before: undefined when it created it). */
  recordWrite(info: NotebookInfo, before: Readonly<Notebook> | undefined, after: Readonly<Notebook>, caller: Caller): void {
    if (!before) {
      const rec = this.recordOf(info.relativePath);
      rec.created ??= { agent: caller.client, at: this.now() };
      this.record(info.relativePath, { ...after, cells: [] }, { cells: after.cells.map((_, j) => ({ after: j, kinds: ['added'] })), metadata: false }, after, caller);
      return;
    }
    this.record(info.relativePath, before, changesOfWrite(before, after), after, caller);
  }

  /** After an agent ran cells that the editor itself wrote outputs into (no store edit). */
  recordRun(rel: string, before: Readonly<Notebook>, after: Readonly<Notebook>, ids: readonly string[], caller: Caller): void {
    const where = new Map(after.cells.map((c, j) => [cellRefId(c, j), j]));
    const cells = ids.flatMap((id) => {
      const o = before.cells.findIndex((c, i) => cellRefId(c, i) === id);
      const j = where.get(id);
      return o < 0 || j === undefined || sameCell(before.cells[o], after.cells[j]) ? [] : [{ before: o, after: j, kinds: ['ran' as ChangeKind] }];
    });
    this.record(rel, before, { cells, metadata: false }, after, caller);
  }

  private recordOf(rel: string): NotebookRecord {
    let rec = this.records.get(rel);
    if (!rec) this.records.set(rel, (rec = { path: rel, checkpoints: [], cells: new Map(), last: 0, nextSeq: 1 }));
    return rec;
  }

  private record(rel: string, before: Readonly<Notebook>, changes: NotebookChanges, after: Readonly<Notebook>, caller: Caller): void {
    if (changes.cells.length === 0 && !changes.metadata) return;
    const now = this.now();
    const rec = this.recordOf(rel);
    this.dirty = true; // new marks, maybe a new checkpoint: saved soon
    markChanges(rec, rel, before, changes, after, caller.client, now, this.quietMs);
    this.saveSoon();
    this.emit(rel);
  }

  // -------------------------------------------------------------------------------------------
  // Views

  /** The notebooks with agent changes not yet accepted. */
  summary(): NotebookChangeSummary[] {
    return [...this.records.values()]
      .filter((r) => r.cells.size > 0 || r.meta)
      .map((r) => {
        const agents: Record<string, number> = {};
        for (const m of r.cells.values()) agents[m.agent] = (agents[m.agent] ?? 0) + 1;
        if (r.meta && !r.cells.size) agents[r.meta.agent] = agents[r.meta.agent] ?? 0;
        const problem = r.checkpoints.find((c) => c.problem)?.problem;
        return { path: r.path, agents, since: r.checkpoints[0]?.at ?? r.last, ...(problem ? { problem } : {}) };
      });
  }

  /** The mark of one cell (by id), if an agent changed it and nobody accepted that yet. */
  markOf(rel: string, id: string): CellMarkView | undefined {
    const m = this.records.get(rel)?.cells.get(id);
    return m && !m.kinds.includes('removed') ? { agent: m.agent, kinds: m.kinds, at: m.at, print: m.print } : undefined;
  }

  /** Whether any notebook has agent changes (cheap: the markers ask on every keystroke). */
  any(): boolean {
    for (const r of this.records.values()) if (r.cells.size > 0 || r.meta) return true;
    return false;
  }

  /** Whether a notebook has agent changes (cheap: for the markers). */
  has(rel: string): boolean {
    const r = this.records.get(rel);
    return !!r && (r.cells.size > 0 || !!r.meta);
  }

  /** What agents changed in a notebook, as it is now (`nb`), oldest change first. */
  list(rel: string, nb?: Readonly<Notebook>): { changes: ChangeEntry[]; since?: number; created?: string; problem?: string } {
    const rec = this.records.get(rel);
    return rec ? listChanges(rec, nb) : { changes: [] };
  }

  // -------------------------------------------------------------------------------------------
  // Accept, revert, review

  /** Forgets the agent changes of a notebook (of one agent, if given): markers go, checkpoints too. */
  accept(rel: string, agent?: string): number {
    const rec = this.records.get(rel);
    if (!rec) return 0;
    let n = 0;
    for (const [id, m] of rec.cells) {
      if (agent && m.agent !== agent) continue;
      rec.cells.delete(id);
      n++;
    }
    if (rec.meta && (!agent || rec.meta.agent === agent)) rec.meta = undefined;
    this.dropIfDone(rec);
    this.dirty = true;
    this.saveSoon();
    this.emit(rel);
    return n;
  }

  /**
   * Takes back agent changes of a notebook: of `agent` only when given, of the cells `cells` only
   * when given. Cells someone changed after the agent are left as they are and listed.
   */
  async revert(path: string, opts: { agent?: string; cells?: readonly string[] } = {}): Promise<RevertReport> {
    await this.ready;
    const store = this.opts.store;
    const info = await store.resolve(path);
    const rel = info.relativePath;
    const rec = this.records.get(rel);
    const wanted = (id: string, m: CellMark) => (!opts.agent || m.agent === opts.agent) && (!opts.cells || opts.cells.includes(id));
    const marks = rec ? [...rec.cells.entries()].filter(([id, m]) => wanted(id, m)) : [];
    const meta = rec?.meta && !opts.cells && (!opts.agent || rec.meta.agent === opts.agent) ? rec.meta : undefined;
    const whose = opts.agent ? ` of ${opts.agent}` : '';
    if (!rec || (marks.length === 0 && !meta)) {
      const unknown = opts.cells?.filter((id) => !rec?.cells.has(id)) ?? [];
      return {
        path: rel, store: info.store, reverted: [], left: [], metadata: false, bytes_restored: false,
        message: `Nothing to revert${whose} in ${rel}: ${unknown.length ? `no agent change is recorded for cell${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}` : 'no agent changes are recorded (never made, already accepted or reverted)'}.`,
      };
    }
    // The checkpoints the marks need, loaded before taking the notebook's lock.
    const cps = new Map<number, Notebook | undefined>();
    const need = new Set<number>([rec.checkpoints[0]?.seq].filter((s): s is number => s !== undefined));
    for (const [, m] of marks) if (m.orig && 'cp' in m.orig) need.add(m.orig.cp);
    if (meta && 'cp' in meta.orig) need.add(meta.orig.cp);
    for (const seq of need) cps.set(seq, await this.loadCheckpoint(rec, seq).catch(() => undefined));
    const origOf = (m: CellMark, id: string): Cell | undefined => {
      if (!m.orig) return undefined;
      if ('cell' in m.orig) return m.orig.cell;
      const nb = cps.get(m.orig.cp);
      return nb?.cells.find((c, i) => cellRefId(c, i) === id);
    };
    const metaValue = meta ? ('value' in meta.orig ? meta.orig.value : cps.get(meta.orig.cp)?.metadata) : undefined;
    const first = rec.checkpoints[0] ? cps.get(rec.checkpoints[0].seq) : undefined;
    const everything = marks.length === rec.cells.size && (!rec.meta || !!meta);
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await store.edit(path, (nb, where) => {
          const plan = planRevert(nb, marks, origOf, meta ? { mark: meta, value: metaValue } : undefined);
          // A closed notebook that only agents changed, taken back whole: written back as the very
          // bytes it had (the store writes a notebook parsed from bytes as those bytes).
          const whole = everything && plan.left.length === 0 && where.store === 'file' && first !== undefined && plan.edits.length > 0 && sameBytes(applyEdits(nb, plan.edits), first);
          return { edits: whole ? [] : plan.edits, result: { plan, whole } };
        });
      } catch (e) {
        throw this.goneError(e, rec);
      }
      const { plan, whole } = res.result;
      if (whole) {
        try {
          await store.write(path, first!, res.version);
        } catch (e) {
          if (attempt < 3 && e instanceof ToolError && /changed/.test(e.message)) continue; // changed meanwhile: plan again
          throw e;
        }
      }
      for (const id of plan.done) rec.cells.delete(id);
      if (meta && (plan.metadata || plan.left.some((l) => l.cell_id === '(notebook metadata)'))) rec.meta = undefined;
      this.dropIfDone(rec);
      this.dirty = true;
      this.saveSoon();
      this.emit(rel);
      return { path: rel, store: res.store, reverted: plan.reverted, left: plan.left, metadata: plan.metadata, bytes_restored: whole, message: revertMessage(rel, whose, plan.reverted, plan.left, plan.metadata, whole, rec.created) };
    }
  }

  /**
   * A copy of the oldest checkpoint of a notebook in `dir`, for VS Code's notebook diff
   * (checkpoint ↔ now): a copy, so that an edit made in the diff's left side never changes the
   * checkpoint a revert writes back. Undefined when the notebook has no agent changes.
   */
  async checkpointFile(rel: string, dir: string): Promise<{ file: string; at: number } | undefined> {
    await this.ready;
    const rec = this.records.get(rel);
    const cp = rec?.checkpoints[0];
    if (!rec || !cp) return undefined;
    const nb = await this.loadCheckpoint(rec, cp.seq);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // Copies of earlier reviews go after a day (one may still be open in an editor meanwhile).
    for (const old of await fs.readdir(dir).catch(() => [] as string[])) {
      const st = await fs.stat(path.join(dir, old)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 86_400_000) await fs.unlink(path.join(dir, old)).catch(() => undefined);
    }
    const file = path.join(dir, cp.name);
    await fs.writeFile(file, checkpointBytes(nb), { mode: 0o600 });
    return { file, at: cp.at };
  }

  /** A notebook or a folder was renamed or moved (VS Code tells the extension): records follow. */
  renamed(from: string, to: string): void {
    for (const [p, rec] of [...this.records]) {
      const next = p === from ? to : p.startsWith(`${from}/`) ? `${to}${p.slice(from.length)}` : undefined;
      if (next === undefined || this.records.has(next)) continue;
      this.records.delete(p);
      rec.path = next;
      this.records.set(next, rec);
      this.dirty = true;
      this.emit(p, next);
    }
    if (this.dirty) this.saveSoon();
  }

  private goneError(e: unknown, rec: NotebookRecord): unknown {
    if (!(e instanceof ToolError) || !/^File not found/.test(e.message)) return e;
    const cp = rec.checkpoints[0];
    const kept = cp?.state === 'saved' ? this.opts.checkpoints.file(cp.name) : undefined;
    return new ToolError(
      `${rec.path} no longer exists (deleted or renamed since an agent changed it); nothing was reverted. ` +
        (kept ? `Its checkpoint from before the agent's changes is kept at ${kept}: copy it to restore the notebook. ` : '') +
        `"Accept Agent Changes" (or agent_changes on the new path) forgets this record.`,
    );
  }

  private async loadCheckpoint(rec: NotebookRecord, seq: number): Promise<Notebook> {
    const cp = rec.checkpoints.find((c) => c.seq === seq);
    if (!cp) throw new Error(`checkpoint ${seq} of ${rec.path} is not recorded`);
    if (cp.notebook) return cp.notebook;
    const bytes = await this.opts.checkpoints.get(cp.name);
    // Parsed from its bytes: written back, it is those bytes (fileBytes).
    return parseNotebookBytes(bytes, cp.name);
  }

  private dropIfDone(rec: NotebookRecord): void {
    if (rec.cells.size > 0 || rec.meta) return;
    this.records.delete(rec.path);
    for (const cp of rec.checkpoints) void this.opts.checkpoints.remove(cp.name);
  }

  // -------------------------------------------------------------------------------------------
  // Background: events, checkpoint and index writes

  private emit(...paths: string[]): void {
    for (const p of paths) this.changed.add(p);
    if (this.emitTimer || this.listeners.size === 0) return;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      const list = [...this.changed];
      this.changed.clear();
      for (const l of this.listeners) {
        try {
          l(list);
        } catch (e) {
          this.opts.log.warn(`agent changes listener failed: ${(e as Error).message}`);
        }
      }
    }, 30);
  }

  private saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.flush();
    }, 200);
    this.saveTimer.unref?.();
  }

  /** Writes pending checkpoints and the index now (also on shutdown). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    while (this.saving) await this.saving;
    if (!this.dirty) return;
    this.dirty = false;
    this.saving = this.saveNow().finally(() => (this.saving = undefined));
    await this.saving;
  }

  private async saveNow(): Promise<void> {
    let used = 0;
    for (const r of this.records.values()) for (const c of r.checkpoints) if (c.state === 'saved') used += c.size ?? 0;
    const now = this.now();
    for (const rec of [...this.records.values()]) {
      for (const cp of rec.checkpoints) {
        if (cp.state === 'pending' && cp.notebook) {
          const bytes = fileBytes(cp.notebook) ?? Buffer.concat(await serializeNotebookPiecesSliced(cp.notebook));
          try {
            await this.opts.checkpoints.put(cp.name, bytes, used);
            cp.state = 'saved';
            cp.size = bytes.length;
            used += bytes.length;
          } catch (e) {
            cp.state = 'failed';
            cp.problem = `Checkpoint of ${rec.path} not saved: ${e instanceof CheckpointError ? e.message : (e as Error).message}. Reverting works until ${this.opts.checkpoints.dir ? 'the server stops' : 'it stops'} (the cells' earlier content is kept in the record).`;
            this.opts.log.warn(cp.problem);
            // What the marks need of it goes into the index instead (cells, not the whole notebook).
            keepCellsOf(rec, cp);
          }
        }
        // A saved checkpoint is read back from disk when needed; memory holds only the active one.
        if (cp.state === 'saved' && cp.notebook && (cp !== rec.checkpoints.at(-1) || now - rec.last > this.quietMs)) cp.notebook = undefined;
      }
    }
    try {
      await this.opts.checkpoints.writeIndex(saveRecords(this.records.values()));
    } catch (e) {
      this.opts.log.warn(`agent changes not saved to ${this.opts.checkpoints.dir}: ${(e as Error).message}; they are kept until the server stops.`);
    }
  }

  async dispose(): Promise<void> {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.listeners.clear();
    await this.flush().catch(() => undefined);
  }
}

export type { CellMark, ChangeEntry, MetaMark };
