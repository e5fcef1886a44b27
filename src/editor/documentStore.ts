// NotebookStore for notebooks that are OPEN in VS Code (notebookType 'jupyter-notebook'): reads the
// live NotebookDocument (with the person's unsaved changes) and applies edits through WorkspaceEdit,
// so each change shows at once and can be undone with Ctrl+Z.
//
// - read(): the document converted to nbformat exactly as VS Code would save it, through the
//   built-in vscode.ipynb extension's `exportNotebook(NotebookData)`; a converter of our own that
//   mirrors it is the fallback when that API is missing (documentViews.ts, ipynbConvert.ts).
// - edit(): the plan runs on that view; the resulting CellEdits become ONE WorkspaceEdit: a TextEdit
//   on the cell document for a source change (the cell keeps its identity, outputs and undo history;
//   undone from the cell's editor), NotebookEdit.updateCellMetadata for nbformat id/metadata/
//   attachments, replaceCells for inserts, deletes, moves, cell type and outputs (the stable API has
//   no other way to write outputs), updateNotebookMetadata. When a plan also moves cells, or changes
//   a cell's source and metadata together, changed cells are replaced instead of text-edited (see
//   buildWorkspaceEdit in editPlan.ts: vscode.ipynb's own metadata sync races with such edits). Edits on one
//   document are serialized; if the document changed between planning and applying, the plan runs
//   again on the new state.
// - Saving: the edit always goes into the document, never around it to the file, so unsaved
//   changes the person made stay. After an edit the document is saved (when `saveAfterEdit()` says
//   so) only if that writes nothing but agent work: it was clean before the edit, or only agent
//   edits made it dirty. If the person has unsaved typing in it (maybe half-done), it is left
//   unsaved and the tool result says so (`notice`): saving their work is their call. VS Code's
//   save refuses (returns false) when the file changed on disk since it was loaded; we never force
//   it (savePolicy.ts).
// - Speed: a pure text edit (update_cell, edit_cell_source) returns as soon as VS Code applied it.
//   vscode.ipynb then resets the cell's execution count by an edit of its own, addressed by cell
//   index; the next edit that moves cells or changes metadata waits for that first. The version
//   returned before that reset stays valid after it (an alias), so write_notebook is not refused
//   (countResets.ts).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ToolError } from '../common/errors';
import { applyEdits } from '../notebooks/cells';
import { FileNotebookStore } from '../notebooks/fileStore';
import { KeyedLock } from '../util/keyedLock';
import { validateNotebook, type Notebook } from '../notebooks/nbformat';
import type { Workspace } from '../notebooks/paths';
import { NotebookNotOpenError, type OpenNotebooks } from '../notebooks/router';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from '../notebooks/store';
import { phaseClock } from '../util/phases';
import { CountResets } from './countResets';
import { DocumentViews, MAX_REPLANS, type DocumentViewsOptions, type Snapshot } from './documentViews';
import { buildWorkspaceEdit } from './editPlan';
import { notebookMetadata, preferredLanguage, toCellData, withCellIds } from './ipynbConvert';
import { SavePolicy, type SavePolicyOptions } from './savePolicy';

export { NOT_SAVED_NOTICE } from './savePolicy';

export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

export interface EditorStoreOptions extends SavePolicyOptions, DocumentViewsOptions {
  /** The file store to list notebooks with (default: a new one on the same workspace). */
  files?: FileNotebookStore;
}

export class EditorNotebookStore implements NotebookStore, OpenNotebooks, vscode.Disposable {
  readonly files: FileNotebookStore;
  private readonly locks = new KeyedLock();
  private readonly disposables: vscode.Disposable[] = [];
  /** The nbformat view of each open document, and the versions handed out. */
  private readonly views: DocumentViews;
  /** When an agent's edit is saved, and what counts as the person's unsaved work. */
  private readonly saves: SavePolicy;
  /** vscode.ipynb's execution-count resets that follow our text edits. */
  private readonly counts = new CountResets();

  constructor(
    readonly workspace: Workspace,
    opts: EditorStoreOptions = {},
  ) {
    this.files = opts.files ?? new FileNotebookStore(workspace);
    this.views = new DocumentViews(workspace, opts);
    this.saves = new SavePolicy(opts);
    this.disposables.push(
      vscode.workspace.onDidCloseNotebookDocument((d) => this.views.forget(d)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.onChange(e)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== 'vscode-notebook-cell') return;
        let cell: vscode.NotebookCell | undefined;
        const doc = vscode.workspace.notebookDocuments.find((d) => d.uri.path === e.document.uri.path && (cell = d.getCells().find((c) => c.document === e.document)));
        if (!doc || !cell) return;
        // The cell's text may change here before the notebook's own change event names it.
        this.views.cellChanged(doc, cell);
        this.saves.cellTextChanged(doc, e.contentChanges.length > 0);
      }),
      vscode.workspace.onDidSaveNotebookDocument((d) => this.saves.sawClean(d)),
    );
  }

  private onChange(e: vscode.NotebookDocumentChangeEvent): void {
    const previous = this.views.noteChange(e);
    if (this.counts.absorb(e)) {
      // vscode.ipynb's own follow-up to our text edit: the version the agent was told about stays valid.
      this.views.aliasVersion(e.notebook, previous);
      return;
    }
    this.saves.notebookChanged(e);
  }

  get store(): NotebookStore {
    return this;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    // Edits waiting for their save are saved now rather than dropped.
    this.saves.dispose();
    this.views.clear();
  }

  /** Whether the notebook at this absolute path is open as a Jupyter notebook document. */
  isOpen(absPath: string): boolean {
    return this.documentFor(absPath) !== undefined;
  }

  /** The open document for an absolute path, if any. */
  documentFor(absPath: string): vscode.NotebookDocument | undefined {
    const want = normalise(absPath);
    let byReal: vscode.NotebookDocument | undefined;
    for (const d of vscode.workspace.notebookDocuments) {
      if (d.notebookType !== JUPYTER_NOTEBOOK_TYPE || d.uri.scheme !== 'file' || d.isClosed) continue;
      const have = normalise(d.uri.fsPath);
      if (have === want) return d;
      // Same file through a symlinked folder: only worth a realpath when the names match.
      if (!byReal && path.basename(have) === path.basename(want) && realpath(have) === realpath(want)) byReal = d;
    }
    return byReal;
  }

  async resolve(p: string): Promise<NotebookInfo> {
    const info = await this.files.resolve(p);
    if (!this.documentFor(info.path)) throw new NotebookNotOpenError(info.path);
    return { ...info, store: 'editor' };
  }

  async read(p: string): Promise<ReadResult> {
    const info = await this.resolve(p);
    const snap = await this.snapshot(this.requireDocument(info.path));
    return { ...info, notebook: snap.notebook, version: snap.version };
  }

  async currentVersion(p: string): Promise<string | undefined> {
    const info = await this.resolve(p);
    return (await this.snapshot(this.requireDocument(info.path))).version;
  }

  async edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    const clock = phaseClock('edit');
    const info = await this.resolve(p);
    clock?.lap('resolve');
    return this.locked(info.path, async () => {
      clock?.lap('lock');
      for (let attempt = 0; ; attempt++) {
        const doc = this.requireDocument(info.path);
        const snap = await this.snapshot(doc);
        clock?.lap('snapshot');
        const { edits, result } = plan(snap.notebook, info);
        if (edits.length === 0) return { ...info, result, notebook: snap.notebook, version: snap.version };
        const next = applyEdits(snap.notebook, edits);
        clock?.lap('plan');
        let applied = false;
        let countsToClear: vscode.NotebookCell[] = [];
        const mayReplan = attempt < MAX_REPLANS;
        if (doc.version === snap.docVersion) {
          const built = buildWorkspaceEdit(doc, snap.notebook, edits, next);
          clock?.lap('build');
          // Edits that change nothing (e.g. a re-run saving the outputs already there) build an
          // empty WorkspaceEdit, which VS Code refuses to apply: the document is already as planned.
          if (built.empty) return { ...info, result, notebook: snap.notebook, version: snap.version };
          // vscode.ipynb addresses its execution-count reset by cell index and copies the cell's
          // metadata: it must land before cells move or metadata changes, or it hits the wrong
          // cell / writes old metadata back. Pure text edits need no wait (the common case).
          // After waiting, plan again on the document as it is now (the wait clears the pending set).
          if (!built.textOnly && (await this.counts.settle(doc))) continue;
          clock?.lap('settle');
          countsToClear = built.countsToClear;
          const saveAllowed = this.saves.saveAllowed(doc);
          applied = await this.saves.apply(doc, built.edit);
          clock?.lap('applyEdit');
          if (applied) {
            this.counts.expect(doc, countsToClear);
            this.saves.saved(doc, info.relativePath, saveAllowed);
            // The notebook as planned is what VS Code now shows; exporting it again here would
            // cost a pass over the document on every edit (the next read exports what changed).
            return { ...info, result, notebook: next, version: this.views.versionOf(doc, doc.version) };
          }
        }
        if (doc.isClosed) throw new NotebookNotOpenError(info.path);
        // The person (or another extension) changed the document meanwhile: plan again on what is there now.
        if (doc.version !== snap.docVersion && mayReplan) continue;
        throw new ToolError(`VS Code did not apply the edit to ${info.relativePath} (the notebook is open in the editor and kept changing, or is read-only); nothing was changed. Try again.`);
      }
    });
  }

  async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const info = await this.resolve(p);
    if (!opts.overwrite) {
      throw new ToolError(`${info.relativePath} already exists and is open in the editor; nothing was changed. Pick another path, or pass overwrite: true to replace its content (the person can undo that in the editor).`);
    }
    const { created: _c, version: _v, ...rest } = await this.write(p, notebook, undefined);
    return rest;
  }

  /**
   * Replaces all cells and the notebook metadata of the open document in one undoable
   * WorkspaceEdit. `expectedVersion` as in the file store; a file version read before the
   * notebook was opened is accepted while the document still shows that file unchanged.
   */
  async write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    const info = await this.resolve(p);
    validateNotebook(notebook, 'content');
    return this.locked(info.path, async () => {
      const doc = this.requireDocument(info.path);
      const snap = await this.snapshot(doc);
      if (expectedVersion === null) {
        throw new ToolError(`${info.relativePath} already exists (it is open in the editor); nothing was written. Call read_notebook and write again, or pass overwrite: true to replace it.`);
      }
      if (expectedVersion !== undefined && expectedVersion !== snap.version && !(await this.showsFileVersion(doc, info.path, expectedVersion))) {
        throw new ToolError(`${info.relativePath} changed in the editor since it was read; nothing was written. Call read_notebook again and reapply your change, or pass overwrite: true to replace it.`);
      }
      const nb = withCellIds(notebook);
      // A pending execution-count reset would land, by index, on one of the new cells.
      await this.counts.settle(doc);
      const lang = preferredLanguage(nb, doc);
      const edit = new vscode.WorkspaceEdit();
      edit.set(doc.uri, [
        vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(0, doc.cellCount), nb.cells.map((c) => toCellData(c, lang))),
        vscode.NotebookEdit.updateNotebookMetadata(notebookMetadata(doc, nb)),
      ]);
      const saveAllowed = this.saves.saveAllowed(doc);
      if (!(await this.saves.apply(doc, edit))) {
        if (doc.isClosed) throw new NotebookNotOpenError(info.path);
        throw new ToolError(`VS Code did not apply the new content to ${info.relativePath}; nothing was written. Try again.`);
      }
      this.saves.saved(doc, info.relativePath, saveAllowed);
      const after = await this.snapshot(doc);
      return { ...info, created: false, version: after.version };
    });
  }

  /** Lists notebooks on disk (through the file store), marking those open in the editor. */
  async list(dir: string, opts: { recursive: boolean; limit: number }): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    const res = await this.files.list(dir, opts);
    return { ...res, notebooks: res.notebooks.map((n) => ({ ...n, open_in_editor: this.isOpen(path.resolve(this.workspace.root, n.path)) })) };
  }

  /** The document as nbformat, cached per document version. */
  async snapshot(doc: vscode.NotebookDocument): Promise<Snapshot> {
    if (!doc.isDirty) this.saves.sawClean(doc);
    return this.views.snapshot(doc);
  }

  /** Whether the document is unmodified and the file still has the version the caller read from disk. */
  private async showsFileVersion(doc: vscode.NotebookDocument, abs: string, expected: string): Promise<boolean> {
    if (doc.isDirty || expected.startsWith('editor:')) return false;
    return (await this.files.version(abs)) === expected;
  }

  private requireDocument(abs: string): vscode.NotebookDocument {
    const doc = this.documentFor(abs);
    if (!doc) throw new NotebookNotOpenError(abs);
    return doc;
  }

  /** Runs fn with the per-document lock held (agent edits on one notebook never interleave). */
  private locked<T>(abs: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(normalise(abs), fn);
  }
}

function normalise(p: string): string {
  const r = path.resolve(p);
  return process.platform === 'win32' || process.platform === 'darwin' ? r.toLowerCase() : r;
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return undefined;
  }
}
