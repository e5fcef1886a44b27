// Picks the store for each call: the open editor document when the notebook is open in VS Code
// (the person sees each change and can undo it), the .ipynb file otherwise. This is the one place
// that decides; tools never know which store served them except through `store` in the result.
// No vscode import: the editor side hands in an `OpenNotebooks`.
import { phaseClock } from '../util/phases';
import * as path from 'path';
import type { FileNotebookStore } from './fileStore';
import type { Notebook } from './nbformat';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

/** What the editor side provides: which notebooks are open, and the store that edits them. */
export interface OpenNotebooks {
  /** Whether the notebook at this absolute, resolved path is open as a document right now. */
  isOpen(absPath: string): boolean;
  store: NotebookStore;
}

/**
 * Thrown by the editor store when the document it was asked about is no longer open (the person
 * closed it between the routing decision and the call). The router then serves the file.
 */
export class NotebookNotOpenError extends Error {
  constructor(readonly absPath: string) {
    super(`${absPath} is not open in the editor`);
    this.name = 'NotebookNotOpenError';
  }
}

export class RoutingNotebookStore implements NotebookStore {
  constructor(
    private readonly files: FileNotebookStore,
    private readonly open: OpenNotebooks,
  ) {}

  /**
   * Resolves the path once (relative, ./, absolute or file:// URI all become the same absolute
   * path, checked to be inside the workspace) and picks the store for it.
   */
  private async pick(p: string): Promise<{ abs: string; store: NotebookStore }> {
    const { path: abs } = await this.files.resolve(p);
    return { abs, store: this.open.isOpen(abs) ? this.open.store : this.files };
  }

  /** Runs `fn` on the chosen store; if the document closed meanwhile, on the file instead. */
  private async route<T>(p: string, fn: (store: NotebookStore, abs: string) => Promise<T>): Promise<T> {
    const clock = phaseClock('route');
    const { abs, store } = await this.pick(p);
    clock?.lap('pick');
    try {
      const out = await fn(store, abs);
      clock?.lap('store');
      return out;
    } catch (e) {
      if (e instanceof NotebookNotOpenError && store !== this.files) return fn(this.files, abs);
      throw e;
    }
  }

  resolve(p: string): Promise<NotebookInfo> {
    return this.route(p, (s) => s.resolve(p));
  }

  read(p: string): Promise<ReadResult> {
    return this.route(p, (s) => s.read(p));
  }

  edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    return this.route(p, (s) => s.edit(p, plan));
  }

  create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    return this.route(p, (s) => s.create(p, notebook, opts));
  }

  write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    return this.route(p, (s) => s.write(p, notebook, expectedVersion));
  }

  currentVersion(p: string): Promise<string | undefined> {
    return this.route(p, (s) => s.currentVersion(p));
  }

  /** The files on disk (an open notebook is a file too), each marked when it is open in the editor. */
  async list(dir: string, opts: { recursive: boolean; limit: number }): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    const res = await this.files.list(dir, opts);
    const root = this.files.workspace.root;
    return {
      ...res,
      notebooks: res.notebooks.map((n) => ({ ...n, open_in_editor: this.open.isOpen(path.resolve(root, n.path)) })),
    };
  }
}
