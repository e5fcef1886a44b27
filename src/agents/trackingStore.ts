// The notebook store that agents' tool calls go through: it hands every call to the real store
// (the router, or the file store) and records what an agent changed (agents/changes.ts). Who calls
// comes from the call's context (util/callNotes.ts): calls outside a tool call, such as the
// person's revert, are not agent changes and pass straight through. Optionally (a setting, off by
// default) the same provenance is written into each changed cell's metadata, for notebooks shared
// with people who do not see the editor's markers.
import { applyEdits } from '../notebooks/cells';
import type { Notebook } from '../notebooks/nbformat';
import { PassThroughStore } from '../notebooks/passThroughStore';
import type { CellEdit, EditPlanner, EditResult, NotebookInfo, NotebookStore } from '../notebooks/store';
import { currentCaller, type Caller } from '../util/callNotes';
import type { AgentChanges } from './changes';
import { changesOfEdits } from './diff';

const UNREADABLE = Symbol('unreadable');

/** The cell metadata key the optional provenance goes under. */
export const PROVENANCE_KEY = 'jupyter_mcp';

export class TrackingNotebookStore extends PassThroughStore {
  constructor(
    inner: NotebookStore,
    private readonly changes: AgentChanges,
    private readonly opts: { provenanceInMetadata?: () => boolean } = {},
  ) {
    super(inner);
  }

  override async edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    const caller = currentCaller();
    if (!caller) return this.inner.edit(p, plan);
    // Records kept on disk first (a window reload): a change made now joins them.
    await this.changes.ready;
    let before: Readonly<Notebook> | undefined;
    let planned: readonly CellEdit[] = [];
    const res = await this.inner.edit(p, (nb, info) => {
      const out = plan(nb, info);
      before = nb;
      planned = out.edits;
      if (out.edits.length > 0 && this.opts.provenanceInMetadata?.()) return { ...out, edits: withProvenance(nb, out.edits, caller) };
      return out;
    });
    if (before && planned.length > 0) this.changes.recordEdit(res, before, planned, res.notebook, caller);
    return res;
  }

  override async write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    const caller = currentCaller();
    if (!caller) return this.inner.write(p, notebook, expectedVersion);
    await this.changes.ready;
    const before = await this.before(p, expectedVersion);
    const res = await this.inner.write(p, notebook, expectedVersion);
    if (before !== UNREADABLE) await this.recordWrite(res, before, caller);
    return res;
  }

  override async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const caller = currentCaller();
    if (!caller) return this.inner.create(p, notebook, opts);
    await this.changes.ready;
    const before = opts.overwrite ? await this.before(p, undefined) : undefined;
    const res = await this.inner.create(p, notebook, opts);
    if (before !== UNREADABLE) await this.recordWrite(res, before, caller);
    return res;
  }

  /**
   * The notebook a whole write replaces, read just before it: undefined when there is none,
   * UNREADABLE when the file is not a notebook we can read (a damaged file the agent replaces on
   * purpose, with overwrite): that write is not recorded, there are no cells to take back.
   */
  private async before(p: string, expectedVersion: string | null | undefined): Promise<Notebook | undefined | typeof UNREADABLE> {
    if (expectedVersion === null) return undefined;
    const exists = await this.inner.currentVersion(p).catch(() => undefined);
    if (exists === undefined) return undefined;
    try {
      return (await this.inner.read(p)).notebook;
    } catch {
      return UNREADABLE;
    }
  }

  private async recordWrite(info: NotebookInfo, before: Notebook | undefined, caller: Caller): Promise<void> {
    // As the store wrote it (the editor gives cells ids): what a revert works on.
    const after = await this.inner.read(info.relativePath).catch(() => undefined);
    if (after) this.changes.recordWrite(info, before, after.notebook, caller);
  }
}

/** `edits` plus, for each cell they change, its provenance in metadata.jupyter_mcp. */
function withProvenance(nb: Readonly<Notebook>, edits: readonly CellEdit[], caller: Caller): CellEdit[] {
  const after = applyEdits(nb, edits);
  const at = new Date().toISOString();
  const extra: CellEdit[] = [];
  for (const ch of changesOfEdits(nb, edits, after, /^execute/.test(caller.tool) ? 'ran' : 'edited').cells) {
    if (ch.after === undefined) continue;
    const cell = after.cells[ch.after];
    extra.push({ kind: 'cellMetadata', index: ch.after, metadata: { ...cell.metadata, [PROVENANCE_KEY]: { agent: caller.client, change: ch.kinds.join(', '), at } } });
  }
  return [...edits, ...extra];
}
