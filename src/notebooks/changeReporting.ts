// The store the tools use, reporting this server's own changes to the change source at once (a
// subscriber hears of an agent's edit without waiting for the poller, and a notebook a tool creates
// shows in resources/list_changed). Reads pass straight through.
import type { NotebookChanges } from './changes';
import type { Notebook } from './nbformat';
import { PassThroughStore } from './passThroughStore';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore } from './store';

export class ChangeReportingStore extends PassThroughStore {
  constructor(
    inner: NotebookStore,
    private readonly changes: NotebookChanges,
  ) {
    super(inner);
  }

  override async edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
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

  override async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const info = await this.inner.create(p, notebook, opts);
    this.changes.contentChanged(info.relativePath);
    this.changes.listChanged();
    return info;
  }

  override async write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    const res = await this.inner.write(p, notebook, expectedVersion);
    this.changes.contentChanged(res.relativePath);
    if (res.created) this.changes.listChanged();
    return res;
  }
}
