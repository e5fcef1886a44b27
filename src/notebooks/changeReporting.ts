// The store the tools use, reporting this server's own changes to the change source at once (a
// subscriber hears of an agent's edit without waiting for the poller, and a notebook a tool creates
// shows in resources/list_changed). Reads pass straight through.
import type { NotebookChanges } from './changes';
import type { Notebook } from './nbformat';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

export class ChangeReportingStore implements NotebookStore {
  constructor(
    readonly inner: NotebookStore,
    private readonly changes: NotebookChanges,
  ) {}

  resolve(p: string): Promise<NotebookInfo> {
    return this.inner.resolve(p);
  }

  read(p: string): Promise<ReadResult> {
    return this.inner.read(p);
  }

  currentVersion(p: string): Promise<string | undefined> {
    return this.inner.currentVersion(p);
  }

  list(dir: string, opts: { recursive: boolean; limit: number }): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    return this.inner.list(dir, opts);
  }

  async edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    // Only a plan that changed something is a change (a re-planned edit runs the plan again: the
    // last run's answer is what was applied).
    let changed = false;
    const res = await this.inner.edit(p, (nb, info) => {
      const out = plan(nb, info);
      changed = out.edits.length > 0;
      return out;
    });
    if (changed) this.changes.contentChanged(res.relativePath);
    return res;
  }

  async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const info = await this.inner.create(p, notebook, opts);
    this.changes.contentChanged(info.relativePath);
    this.changes.listChanged();
    return info;
  }

  async write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    const res = await this.inner.write(p, notebook, expectedVersion);
    this.changes.contentChanged(res.relativePath);
    if (res.created) this.changes.listChanged();
    return res;
  }
}
