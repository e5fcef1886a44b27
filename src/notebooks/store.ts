// The NotebookStore seam. Tools see only this interface; the file store (.ipynb on disk) and the
// editor store (an open VS Code NotebookDocument, edited through WorkspaceEdit) implement it, and a
// router picks one per call. Edits are expressed as a small list of cell operations so that the
// editor store can turn each one into the matching NotebookEdit (and the person can undo it),
// while the file store applies them to JSON.
import type { Cell, Notebook, Output } from './nbformat';

/** Where a notebook was served from; reported in tool results so the agent knows. */
export type StoreKind = 'file' | 'editor';

export type CellEdit =
  | { kind: 'insert'; index: number; cells: Cell[] }
  | { kind: 'delete'; index: number; count: number }
  | { kind: 'move'; from: number; to: number }
  | { kind: 'source'; index: number; source: string }
  | { kind: 'cellType'; index: number; cellType: Cell['cell_type'] }
  | { kind: 'cellMetadata'; index: number; metadata: Record<string, unknown> }
  | { kind: 'outputs'; index: number; outputs: Output[]; executionCount?: number | null }
  | { kind: 'notebookMetadata'; metadata: Record<string, unknown> }
  /** Puts this very cell object in place of the cell at `index` (a revert restoring a kept cell). */
  | { kind: 'cell'; index: number; cell: Cell };

/** What a plan returns: the edits to apply to the notebook it was given, and the tool's result. */
export interface EditPlan<T> {
  edits: CellEdit[];
  result: T;
}

/** Plans edits on the notebook as it is now; may run again if the notebook changed meanwhile. */
export type EditPlanner<T> = (nb: Readonly<Notebook>, info: NotebookInfo) => EditPlan<T>;

export interface NotebookInfo {
  /** Absolute path of the notebook. */
  path: string;
  /** Path relative to the workspace root, with forward slashes: what agents should pass back. */
  relativePath: string;
  store: StoreKind;
}

export interface ReadResult extends NotebookInfo {
  notebook: Notebook;
  /** Opaque token of the state that was read; write() can require that it is still current. */
  version: string;
}

export interface EditResult<T> extends NotebookInfo {
  result: T;
  /** The notebook after the edits (do not mutate). */
  notebook: Notebook;
  version: string;
}

export interface NotebookStore {
  /** Resolves and checks a path the agent gave (workspace-relative or absolute inside the root). */
  resolve(path: string): Promise<NotebookInfo>;
  read(path: string): Promise<ReadResult>;
  /**
   * Runs `plan` on the current notebook and applies its edits atomically. Calls on one notebook
   * are serialized, so the plan sees the latest state (no lost updates between sessions). If the
   * plan throws, nothing changes. The plan is told which notebook it plans on (`info`), so checks
   * that depend on it (a session's view of the notebook) run under the same lock.
   */
  edit<T>(path: string, plan: EditPlanner<T>): Promise<EditResult<T>>;
  /** Creates a notebook; refuses to replace an existing file unless `overwrite`. */
  create(path: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo>;
  /**
   * Replaces a whole notebook (write_notebook); creates it if missing. `expectedVersion`: the
   * version the caller read (refused if the notebook changed since), null to require that it does
   * not exist, undefined to replace whatever is there.
   */
  write(path: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }>;
  /** Current version of a notebook, undefined if it does not exist. */
  currentVersion(path: string): Promise<string | undefined>;
  /** Lists notebooks under a folder of the workspace (workspace-relative paths). */
  list(dir: string, opts: { recursive: boolean; limit: number }): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }>;
}

export interface NotebookSummary {
  path: string;
  size: number;
  modified: string;
  open_in_editor?: boolean;
}
