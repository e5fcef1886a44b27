// A NotebookStore that hands every call to another one: the base of the stores that wrap the real
// one to add something to its writes (changeReporting.ts: change notifications; agents/
// trackingStore.ts: agents' change records). A wrapper overrides what it adds to; reads pass.
import type { Notebook } from './nbformat';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

export abstract class PassThroughStore implements NotebookStore {
  constructor(readonly inner: NotebookStore) {}

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

  edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    return this.inner.edit(p, plan);
  }

  create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    return this.inner.create(p, notebook, opts);
  }

  write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    return this.inner.write(p, notebook, expectedVersion);
  }
}
