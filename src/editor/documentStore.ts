// NotebookStore for notebooks that are OPEN in VS Code (notebookType 'jupyter-notebook'): reads the
// live NotebookDocument (with the person's unsaved changes) and applies edits through WorkspaceEdit,
// so each change shows at once and can be undone with Ctrl+Z.
//
// - read(): the document converted to nbformat exactly as VS Code would save it, through the
//   built-in vscode.ipynb extension's `exportNotebook(NotebookData)`; a converter of our own that
//   mirrors it is the fallback when that API is missing.
// - edit(): the plan runs on that view; the resulting CellEdits become ONE WorkspaceEdit: a TextEdit
//   on the cell document for a source change (the cell keeps its identity, outputs and undo history;
//   undone from the cell's editor), NotebookEdit.updateCellMetadata for nbformat id/metadata/
//   attachments, replaceCells for inserts, deletes, moves, cell type and outputs (the stable API has
//   no other way to write outputs), updateNotebookMetadata. When a plan also moves cells, or changes
//   a cell's source and metadata together, changed cells are replaced instead of text-edited (see
//   buildWorkspaceEdit: vscode.ipynb's own metadata sync races with such edits). Edits on one
//   document are serialized; if the document changed between planning and applying, the plan runs
//   again on the new state.
// - Saving: the edit always goes into the document, never around it to the file, so unsaved
//   changes the person made stay. After an edit the document is saved (when `saveAfterEdit()` says
//   so) only if that writes nothing but agent work: it was clean before the edit, or only agent
//   edits made it dirty. If the person has unsaved typing in it (maybe half-done), it is left
//   unsaved and the tool result says so (`notice`): saving their work is their call. VS Code's
//   save refuses (returns false) when the file changed on disk since it was loaded; we never force it.
// - Speed: a pure text edit (update_cell, edit_cell_source) returns as soon as VS Code applied it.
//   vscode.ipynb then resets the cell's execution count by an edit of its own, addressed by cell
//   index; the next edit that moves cells or changes metadata waits for that first. The version
//   returned before that reset stays valid after it (an alias), so write_notebook is not refused.
//
// The ipynb serializer's layout in VS Code 1.139 (read off its deserializer and checked in the host
// tests): cell.metadata = { id, metadata, attachments, execution_count (code cells) } — the saved
// execution_count is taken from cell.metadata, not from executionSummary; notebook metadata =
// the nbformat JSON without cells ({ nbformat, nbformat_minor, metadata, ... }) plus `indentAmount`;
// outputs carry metadata { outputType, metadata, executionCount, transient } and use the mimes
// application/vnd.code.notebook.stdout/.stderr/.error, other mimes as is (images as bytes).
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { ToolError } from '../common/errors';
import { applyEdits } from '../notebooks/cells';
import { FileNotebookStore } from '../notebooks/fileStore';
import { KeyedLock } from '../util/keyedLock';
import { joinSource, newCellId, supportsCellIds, validateCell, validateNotebook, type Cell, type Notebook, type Output } from '../notebooks/nbformat';
import type { Workspace } from '../notebooks/paths';
import { NotebookNotOpenError, type OpenNotebooks } from '../notebooks/router';
import type { CellEdit, EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from '../notebooks/store';
import type { Logger } from '../util/log';
import { phaseClock } from '../util/phases';
import { addCallNote } from '../util/callNotes';

export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

/** Delay between an agent's last edit of an open notebook and its save (jupyterMcp.saveAfterEdit). */
const SAVE_DELAY_MS = 300;
/** Told to the agent (result `notice`) when an open notebook is left unsaved on purpose. */
export const NOT_SAVED_NOTICE =
  'Not saved: the notebook has unsaved changes made in the editor, and saving would write them too. Your edit is in the editor (the person can undo it); the file on disk is unchanged until the person saves.';
/** Longest wait for vscode.ipynb's execution-count reset before a structural edit. */
const COUNT_RESET_WAIT_MS = 1000;
const MIME_STDOUT = 'application/vnd.code.notebook.stdout';
const MIME_STDERR = 'application/vnd.code.notebook.stderr';
const MIME_ERROR = 'application/vnd.code.notebook.error';
// Mimes the ipynb serializer treats as text (besides text/*).
const TEXT_MIMES = ['text/plain', 'text/markdown', 'text/latex', MIME_STDERR, MIME_STDOUT];
// The serializer's display order of output items (it sorts them so on load).
const MIME_ORDER = [
  'application/vnd.*', 'application/vdom.*', 'application/geo+json', 'application/x-nteract-model-debug+json', 'text/html',
  'application/javascript', 'image/gif', 'text/latex', 'text/markdown', 'image/png', 'image/svg+xml', 'image/jpeg',
  'application/json', 'text/plain',
];
const MAX_REPLANS = 5;

/** What the built-in vscode.ipynb extension exports once activated. */
interface IpynbApi {
  exportNotebook(notebook: vscode.NotebookData): string | Thenable<string>;
}

export interface EditorStoreOptions {
  /** Whether to save the document after an agent's edit (setting jupyterMcp.saveAfterEdit). Default: true. */
  saveAfterEdit?: () => boolean;
  log?: Logger;
  /** The file store to list notebooks with (default: a new one on the same workspace). */
  files?: FileNotebookStore;
  /** Use vscode.ipynb's exportNotebook (default true); false forces our own converter (tests). */
  useIpynbApi?: boolean;
}

interface Snapshot {
  docVersion: number;
  version: string;
  notebook: Notebook;
}

export class EditorNotebookStore implements NotebookStore, OpenNotebooks, vscode.Disposable {
  readonly files: FileNotebookStore;
  private readonly cache = new Map<string, Snapshot>();
  private readonly locks = new KeyedLock();
  // A nonce per document object: a notebook closed and opened again starts at a low version again.
  private readonly nonces = new WeakMap<vscode.NotebookDocument, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private api: Promise<IpynbApi | undefined> | undefined;
  /** A cell's last export and what it was made from (VS Code keeps one NotebookCell object per cell). */
  private readonly exported = new WeakMap<vscode.NotebookCell, { docMetadata: unknown; state: CellState; cell: Cell }>();

  /**
   * Documents whose cells or cell text were changed by someone else than our edits (the person
   * typing, adding or deleting cells, undoing) since they were last saved. Outputs, execution
   * summaries and metadata (cells run, vscode.ipynb's syncs) are not typing and do not count.
   */
  private readonly typed = new WeakSet<vscode.NotebookDocument>();
  /** Documents seen clean since this store exists: for the others, what made them dirty is unknown. */
  private readonly seenClean = new WeakSet<vscode.NotebookDocument>();
  /** Documents while our own WorkspaceEdit is being applied (its change events are ours). */
  private readonly applying = new WeakSet<vscode.NotebookDocument>();
  /**
   * Cells whose text we changed and whose execution count vscode.ipynb resets: undefined while the
   * reset is awaited, then the JSON of the metadata it set (VS Code 1.139 reports each change to
   * extensions twice, the second time with the version bumped again).
   */
  private readonly countResets = new WeakMap<vscode.NotebookDocument, Map<vscode.NotebookCell, string | undefined>>();
  /**
   * Per document: the cells changed since the last export walked the document (at version
   * `since`), as VS Code's change events name them; `at` is the version the events reach. Every
   * version bump of a NotebookDocument comes with a change event naming the cells it changed (or
   * adding / moving cells), so while `at` is the document's version, the other cells still match
   * their last export and the next read checks only these instead of all of them (that check
   * cost ≈ 3 ms per edit on 471 cells).
   */
  private readonly changedCells = new WeakMap<vscode.NotebookDocument, { at: number; cells: Set<vscode.NotebookCell> }>();
  /** Per document: its last version seen by the change listener, and versions that are aliases of older ones. */
  private readonly versions = new WeakMap<vscode.NotebookDocument, { last: number; alias: Map<number, number> }>();

  constructor(
    readonly workspace: Workspace,
    private readonly opts: EditorStoreOptions = {},
  ) {
    this.files = opts.files ?? new FileNotebookStore(workspace);
    this.disposables.push(
      vscode.workspace.onDidCloseNotebookDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.onChange(e)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== 'vscode-notebook-cell') return;
        let cell: vscode.NotebookCell | undefined;
        const doc = vscode.workspace.notebookDocuments.find((d) => d.uri.path === e.document.uri.path && (cell = d.getCells().find((c) => c.document === e.document)));
        if (!doc || !cell) return;
        // The cell's text may change here before the notebook's own change event names it.
        this.changedCells.get(doc)?.cells.add(cell);
        if (e.contentChanges.length > 0 && !this.applying.has(doc)) this.typed.add(doc);
      }),
      vscode.workspace.onDidSaveNotebookDocument((d) => this.sawClean(d)),
    );
  }

  private onChange(e: vscode.NotebookDocumentChangeEvent): void {
    const doc = e.notebook;
    const changed = this.changedCells.get(doc);
    if (changed) {
      // Added cells are new NotebookCell objects (never exported), moved ones keep their state.
      for (const c of e.cellChanges) changed.cells.add(c.cell);
      changed.at = doc.version;
    }
    const v = this.versions.get(doc) ?? { last: doc.version, alias: new Map<number, number>() };
    this.versions.set(doc, v);
    const previous = v.last;
    v.last = doc.version;
    const pending = this.countResets.get(doc);
    if (pending && e.contentChanges.length === 0 && e.metadata === undefined && e.cellChanges.length > 0 && e.cellChanges.every((c) => isCountReset(c, pending))) {
      // vscode.ipynb's own follow-up to our text edit (execution_count -> null): the notebook the
      // agent was told about is unchanged in every way it cares about, so its version stays valid.
      for (const c of e.cellChanges) pending.set(c.cell, JSON.stringify(c.metadata));
      // Only a change that directly follows the one seen before (nothing else happened between).
      if (doc.version === previous + 1) v.alias.set(doc.version, v.alias.get(previous) ?? previous);
      return;
    }
    if (this.applying.has(doc)) return;
    // Outputs, execution summaries and metadata change when cells run or vscode.ipynb syncs:
    // not the person's typing. Text and cell structure are.
    if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.document !== undefined)) this.typed.add(doc);
    else if (!doc.isDirty) this.sawClean(doc);
  }

  private sawClean(doc: vscode.NotebookDocument): void {
    this.typed.delete(doc);
    this.seenClean.add(doc);
  }

  get store(): NotebookStore {
    return this;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    // Edits waiting for their save are saved now rather than dropped.
    for (const [doc, t] of this.saveTimers) {
      clearTimeout(t.timer);
      void this.saveIfWanted(doc, t.rel);
    }
    this.saveTimers.clear();
    this.cache.clear();
  }

  /**
   * Saves shortly after the last edit instead of inside each one: VS Code takes from tens of ms
   * to seconds to save a large notebook, and an agent usually makes several edits in a row. The
   * edit itself is in the document (and undoable) at once.
   */
  private saveSoon(doc: vscode.NotebookDocument, rel: string): void {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isClosed || doc.isUntitled) return;
    const pending = this.saveTimers.get(doc);
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.saveTimers.delete(doc);
      void this.saveIfWanted(doc, rel);
    }, SAVE_DELAY_MS);
    this.saveTimers.set(doc, { timer, rel });
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
          if (!built.textOnly && (await this.settle(doc))) continue;
          clock?.lap('settle');
          countsToClear = built.countsToClear;
          const saveAllowed = this.saveAllowed(doc);
          applied = await this.apply(doc, built.edit);
          clock?.lap('applyEdit');
          if (applied) {
            this.expectCountResets(doc, countsToClear);
            this.saved(doc, info.relativePath, saveAllowed);
            // The notebook as planned is what VS Code now shows; exporting it again here would
            // cost a pass over the document on every edit (the next read exports what changed).
            return { ...info, result, notebook: next, version: this.versionOf(doc, doc.version) };
          }
        }
        if (doc.isClosed) throw new NotebookNotOpenError(info.path);
        // The person (or another extension) changed the document meanwhile: plan again on what is there now.
        if (doc.version !== snap.docVersion && mayReplan) continue;
        throw new ToolError(`VS Code did not apply the edit to ${info.relativePath} (the notebook is open in the editor and kept changing, or is read-only); nothing was changed. Try again.`);
      }
    });
  }

  /** Applies one WorkspaceEdit of ours; change events it causes are not the person's. */
  private async apply(doc: vscode.NotebookDocument, edit: vscode.WorkspaceEdit): Promise<boolean> {
    this.applying.add(doc);
    try {
      return await vscode.workspace.applyEdit(edit);
    } finally {
      this.applying.delete(doc);
    }
  }

  /**
   * Whether saving after the agent's next edit writes only agent work: the document is clean, or
   * only our edits made it dirty. Otherwise the save would also write what the person typed and
   * has not saved (maybe half-done), which is theirs to decide.
   */
  private saveAllowed(doc: vscode.NotebookDocument): boolean {
    if (!doc.isDirty) {
      this.sawClean(doc);
      return true;
    }
    return this.seenClean.has(doc) && !this.typed.has(doc);
  }

  /** After an agent edit: save soon if that writes only agent work, else say that it stays unsaved. */
  private saved(doc: vscode.NotebookDocument, rel: string, saveAllowed: boolean): void {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isUntitled) return;
    if (saveAllowed) {
      this.saveSoon(doc, rel);
    } else {
      addCallNote(NOT_SAVED_NOTICE);
    }
  }

  /** Cells whose text we just changed: vscode.ipynb will reset their execution count. */
  private expectCountResets(doc: vscode.NotebookDocument, cells: vscode.NotebookCell[]): void {
    if (cells.length === 0) return;
    let map = this.countResets.get(doc);
    if (!map) this.countResets.set(doc, (map = new Map()));
    for (const c of cells) map.set(c, undefined);
  }

  /**
   * Waits until vscode.ipynb has reset the execution count of the cells whose text we changed (its
   * notebookModelStoreSync does it as an edit of its own, soon after any text change; a save runs
   * it at once). Returns whether it waited, i.e. the document changed meanwhile.
   */
  private async settle(doc: vscode.NotebookDocument): Promise<boolean> {
    const cells = this.countResets.get(doc);
    const pending = () => {
      if (!cells || doc.isClosed) return false;
      for (const [c, after] of cells) if (after === undefined && c.index >= 0 && typeof c.metadata?.execution_count === 'number') return true;
      return false;
    };
    if (!pending()) return false;
    // Woken by the change itself (polling every 20 ms added 10 ms on average to each edit).
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.notebook === doc && !pending()) done();
      });
      const timer = setTimeout(done, COUNT_RESET_WAIT_MS);
      if (!pending()) done();
    });
    // A reset that did not come in time is not waited for again; those that came stay known, so
    // VS Code's repeat of them keeps the version (see onChange).
    for (const [c, after] of cells ?? []) if (after === undefined || c.index < 0) cells!.delete(c);
    return true;
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
      await this.settle(doc);
      const lang = preferredLanguage(nb, doc);
      const edit = new vscode.WorkspaceEdit();
      edit.set(doc.uri, [
        vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(0, doc.cellCount), nb.cells.map((c) => toCellData(c, lang))),
        vscode.NotebookEdit.updateNotebookMetadata(notebookMetadata(doc, nb)),
      ]);
      const saveAllowed = this.saveAllowed(doc);
      if (!(await this.apply(doc, edit))) {
        if (doc.isClosed) throw new NotebookNotOpenError(info.path);
        throw new ToolError(`VS Code did not apply the new content to ${info.relativePath}; nothing was written. Try again.`);
      }
      this.saved(doc, info.relativePath, saveAllowed);
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
    if (!doc.isDirty) this.sawClean(doc);
    const key = doc.uri.toString();
    for (let attempt = 0; ; attempt++) {
      const docVersion = doc.version;
      const hit = this.cache.get(key);
      if (hit && hit.docVersion === docVersion) return hit;
      const notebook = await this.exportDocument(doc);
      if (doc.version !== docVersion && attempt < MAX_REPLANS) continue;
      const snap = { docVersion, version: this.versionOf(doc, docVersion), notebook };
      if (!doc.isClosed) this.cache.set(key, snap);
      return snap;
    }
  }

  private versionOf(doc: vscode.NotebookDocument, docVersion: number): string {
    let nonce = this.nonces.get(doc);
    if (!nonce) {
      nonce = randomBytes(3).toString('hex');
      this.nonces.set(doc, nonce);
    }
    // A version reached only by vscode.ipynb's execution-count reset after our edit names the same state.
    const base = this.versions.get(doc)?.alias.get(docVersion) ?? docVersion;
    return `editor:${nonce}:${base}:${doc.uri.toString()}`;
  }

  private async exportDocument(doc: vscode.NotebookDocument): Promise<Notebook> {
    const api = this.opts.useIpynbApi === false ? undefined : await this.ipynbApi();
    let value: Notebook;
    // Cells exported now; the others were checked when they were exported (and are not changed since).
    let fresh: Set<number> | undefined;
    const clock = phaseClock('export');
    if (api) {
      // Only cells that changed since the last export go through vscode.ipynb (with the document's
      // metadata, which decides per-cell details such as the language); the others are reused.
      // A whole 471-cell notebook took tens of ms to export, after every edit.
      const cells = doc.getCells();
      clock?.lap('getCells');
      const out: Cell[] = new Array(cells.length);
      const stale: number[] = [];
      // Cells no change event named since the last walk are as they were then; the others (and all
      // of them when the events do not reach the document's version) are compared with their export.
      const tracked = this.changedCells.get(doc);
      const changed = tracked && tracked.at === doc.version ? tracked.cells : undefined;
      const docMetadata = doc.metadata;
      cells.forEach((c, i) => {
        const hit = this.exported.get(c);
        // The notebook's metadata (nbformat_minor: ids or not; language) shapes every cell's export.
        if (hit && hit.docMetadata === docMetadata && ((changed && !changed.has(c)) || sameState(hit.state, cellState(c)))) out[i] = hit.cell;
        else stale.push(i);
      });
      // From here, events name what changes after this walk (also while vscode.ipynb exports).
      this.changedCells.set(doc, { at: doc.version, cells: new Set() });
      clock?.lap('walk');
      const states = stale.map((i) => cellState(cells[i]));
      const data = documentData(doc, stale.map((i) => cells[i]));
      clock?.lap('data');
      let parsed: Notebook;
      try {
        parsed = JSON.parse(await api.exportNotebook(data)) as Notebook;
        if (!Array.isArray(parsed?.cells) || parsed.cells.length !== stale.length) {
          throw new ToolError(`vscode.ipynb exported ${parsed?.cells?.length} cells for ${stale.length}; cannot read the open notebook.`);
        }
      } catch (e) {
        // These cells were not exported: the next read must not take them as unchanged.
        this.changedCells.delete(doc);
        throw e;
      }
      clock?.lap('ipynb');
      fresh = new Set(stale);
      stale.forEach((i, k) => {
        out[i] = parsed.cells[k];
        // The state the export was made from (the cell may have changed while vscode.ipynb exported it).
        this.exported.set(cells[i], { docMetadata, state: states[k], cell: parsed.cells[k] });
      });
      value = { ...parsed, cells: out };
    } else {
      value = documentToNotebook(doc);
    }
    clock?.lap('cells');
    const checked = checkedView(value, this.workspace.relative(doc.uri.fsPath), fresh);
    clock?.lap('check');
    return checked;
  }

  private ipynbApi(): Promise<IpynbApi | undefined> {
    if (!this.api) {
      this.api = (async () => {
        const ext = vscode.extensions.getExtension<Partial<IpynbApi>>('vscode.ipynb');
        if (!ext) return undefined;
        const exports = ext.isActive ? ext.exports : await ext.activate();
        if (typeof exports?.exportNotebook === 'function') return exports as IpynbApi;
        this.opts.log?.warn('vscode.ipynb does not export exportNotebook: converting open notebooks with our own converter.');
        return undefined;
      })().catch((e) => {
        this.opts.log?.warn(`vscode.ipynb could not be activated (${(e as Error).message}): converting open notebooks with our own converter.`);
        return undefined;
      });
    }
    return this.api;
  }

  /** Whether the document is unmodified and the file still has the version the caller read from disk. */
  private async showsFileVersion(doc: vscode.NotebookDocument, abs: string, expected: string): Promise<boolean> {
    if (doc.isDirty || expected.startsWith('editor:')) return false;
    return (await this.files.version(abs)) === expected;
  }

  private readonly saveTimers = new Map<vscode.NotebookDocument, { timer: NodeJS.Timeout; rel: string }>();

  private async saveIfWanted(doc: vscode.NotebookDocument, rel: string): Promise<void> {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isClosed || doc.isUntitled) return;
    if (doc.isDirty && !this.saveAllowed(doc)) {
      // The person changed the notebook between the agent's edit and this save: theirs to save.
      this.opts.log?.info(`${rel}: not saved after the agent's edit: it was changed in the editor meanwhile (unsaved changes of the person).`);
      return;
    }
    try {
      if (!(await doc.save())) this.opts.log?.warn(`${rel}: VS Code did not save the notebook after the edit (the file may have changed on disk); the edit is in the editor, unsaved.`);
    } catch (e) {
      this.opts.log?.warn(`${rel}: saving after the edit failed: ${(e as Error).message}; the edit is in the editor, unsaved.`);
    }
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

// ---------------------------------------------------------------------------------------------
// CellEdits -> one WorkspaceEdit

/**
 * Builds one WorkspaceEdit that turns the document (whose nbformat view is `before`) into `after`
 * (= applyEdits(before, edits)). NotebookEdits in one WorkspaceEdit are all applied against the
 * document as it was (VS Code sorts them by position), so positions here are original indices:
 * the cells that keep their place are found first, and every gap between them is one replaceCells.
 */
export function buildWorkspaceEdit(
  doc: vscode.NotebookDocument,
  before: Notebook,
  edits: readonly CellEdit[],
  after: Notebook,
): { edit: vscode.WorkspaceEdit; countsToClear: vscode.NotebookCell[]; empty: boolean; textOnly: boolean } {
  let textEdits = 0;
  // Which original cell each cell of `after` came from (-1: a new cell).
  const origin = before.cells.map((_, i) => i);
  for (const e of edits) {
    if (e.kind === 'insert') origin.splice(e.index, 0, ...e.cells.map(() => -1));
    else if (e.kind === 'delete') origin.splice(e.index, e.count);
    else if (e.kind === 'move') origin.splice(e.to, 0, ...origin.splice(e.from, 1));
  }
  if (origin.length !== after.cells.length) throw new Error(`internal: ${origin.length} cells tracked, ${after.cells.length} planned`);

  // Cells that can be updated in place (same kind, same outputs), kept in their original order.
  const candidates: { at: number; from: number }[] = [];
  origin.forEach((from, at) => {
    if (from >= 0 && updatableInPlace(before.cells[from], after.cells[at])) candidates.push({ at, from });
  });
  let kept = longestIncreasing(candidates);
  // Source changes go into the cell's text (TextEdit) only when no cell moves: vscode.ipynb answers a
  // text change with a metadata edit addressed by cell index, computed before the structural part of
  // the same WorkspaceEdit has reached it (seen in 1.139: the metadata landed on the wrong cell).
  // With structural changes, changed cells are replaced instead, all in one notebook-level edit.
  const structural = kept.length !== before.cells.length || after.cells.length !== before.cells.length;
  // Likewise a cell whose source AND metadata change is replaced: vscode.ipynb's edit for the text
  // change is built from the metadata it saw before ours arrived, and would write that back.
  kept = kept.filter((k) => {
    // applyEdits keeps the objects of cells it did not touch: nothing to compare.
    if (before.cells[k.from] === after.cells[k.at]) return true;
    const sameSource = joinSource(before.cells[k.from].source) === joinSource(after.cells[k.at].source);
    return sameSource || (!structural && JSON.stringify(layout(before.cells[k.from])) === JSON.stringify(layout(after.cells[k.at])));
  });
  const keptAt = new Map(kept.map((k) => [k.at, k.from]));
  const countsToClear: vscode.NotebookCell[] = [];

  const lang = preferredLanguage(after, doc);
  const edit = new vscode.WorkspaceEdit();
  const cellEdits: vscode.NotebookEdit[] = [];
  const metadataEdits: vscode.NotebookEdit[] = [];
  let prev = -1;
  let pending: vscode.NotebookCellData[] = [];
  const flush = (end: number) => {
    if (end > prev + 1 || pending.length > 0) cellEdits.push(vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(prev + 1, end), pending));
    pending = [];
  };
  after.cells.forEach((cell, at) => {
    const from = keptAt.get(at);
    if (from === undefined) {
      pending.push(toCellData(cell, lang));
      return;
    }
    flush(from);
    prev = from;
    const old = before.cells[from];
    if (old === cell) return;
    const docCell = doc.cellAt(from);
    if (joinSource(old.source) !== joinSource(cell.source)) {
      // Replacing the cell's text (not the cell) keeps its identity, outputs and undo history.
      // vscode.ipynb then sets a code cell's execution_count to null (its notebookModelStoreSync,
      // for any text change): edit() waits for that so the version it returns stays current.
      const text = docCell.document;
      edit.set(text.uri, [vscode.TextEdit.replace(new vscode.Range(text.positionAt(0), text.positionAt(text.getText().length)), joinSource(cell.source))]);
      textEdits++;
      if (cell.cell_type === 'code' && typeof old.execution_count === 'number') countsToClear.push(docCell);
    } else if (JSON.stringify(layout(old)) !== JSON.stringify(layout(cell))) {
      const meta: Record<string, unknown> = { ...docCell.metadata, ...layout(cell) };
      if (cell.attachments === undefined) delete meta.attachments;
      if (cell.id === undefined) delete meta.id;
      metadataEdits.push(vscode.NotebookEdit.updateCellMetadata(from, meta));
    }
  });
  flush(before.cells.length);
  // Metadata edits go last: among edits at the same position VS Code applies the later ones first,
  // so a cell's metadata is updated before a replaceCells ending at it shifts the indexes.
  const notebookEdits = [...cellEdits, ...metadataEdits];
  if (after.nbformat !== before.nbformat || after.nbformat_minor !== before.nbformat_minor || JSON.stringify(after.metadata) !== JSON.stringify(before.metadata)) {
    notebookEdits.push(vscode.NotebookEdit.updateNotebookMetadata(notebookMetadata(doc, after)));
  }
  if (notebookEdits.length > 0) edit.set(doc.uri, notebookEdits);
  // WorkspaceEdit.size does not count notebook edits: say ourselves whether anything was built.
  return { edit, countsToClear, empty: notebookEdits.length === 0 && textEdits === 0, textOnly: notebookEdits.length === 0 };
}

/** A cell change that is only vscode.ipynb resetting the execution count of a cell we text-edited. */
function isCountReset(c: vscode.NotebookDocumentCellChange, pending: Map<vscode.NotebookCell, string | undefined>): boolean {
  if (!pending.has(c.cell) || c.document !== undefined || c.outputs !== undefined || c.executionSummary !== undefined || c.metadata === undefined) return false;
  if (c.metadata.execution_count != null) return false;
  // The reset itself, or VS Code's repeat of it (same metadata); not a later change of the metadata.
  const seen = pending.get(c.cell);
  return seen === undefined || seen === JSON.stringify(c.metadata);
}

function updatableInPlace(old: Cell, cell: Cell): boolean {
  if (old === cell) return true;
  if (old.cell_type !== cell.cell_type) return false;
  if (cell.cell_type !== 'code') return true;
  // Outputs and the execution count can only be written by replacing the cell.
  if ((old.execution_count ?? null) !== (cell.execution_count ?? null)) return false;
  return old.outputs === cell.outputs || JSON.stringify(old.outputs ?? []) === JSON.stringify(cell.outputs ?? []);
}

/** Longest subsequence with increasing `from` (keeps the most cells in place on a move). */
function longestIncreasing<T extends { from: number }>(xs: T[]): T[] {
  const tails: number[] = []; // index into xs of the smallest tail of each length
  const prevOf: number[] = new Array(xs.length).fill(-1);
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]].from < x.from) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prevOf[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const out: T[] = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prevOf[i]) out.push(xs[i]);
  return out.reverse();
}

// ---------------------------------------------------------------------------------------------
// nbformat -> VS Code (as the ipynb deserializer does)

/** Where the ipynb serializer keeps a cell's nbformat fields: in cell.metadata. */
function layout(cell: Cell): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (cell.cell_type === 'code') m.execution_count = typeof cell.execution_count === 'number' ? cell.execution_count : null;
  m.metadata = clone(cell.metadata ?? {});
  if (typeof cell.id === 'string') m.id = cell.id;
  if (cell.attachments) m.attachments = clone(cell.attachments);
  return m;
}

function toCellData(cell: Cell, lang: string): vscode.NotebookCellData {
  const source = joinSource(cell.source).replace(/\r\n/g, '\n');
  let data: vscode.NotebookCellData;
  if (cell.cell_type === 'markdown') {
    data = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, source, 'markdown');
  } else if (cell.cell_type === 'raw') {
    data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, 'raw');
  } else {
    const vsc = (cell.metadata?.vscode ?? undefined) as { languageId?: unknown } | undefined;
    data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, typeof vsc?.languageId === 'string' && vsc.languageId ? vsc.languageId : lang);
    data.outputs = (cell.outputs ?? []).map(toCellOutput);
    data.executionSummary = typeof cell.execution_count === 'number' && cell.execution_count > 0 ? { executionOrder: cell.execution_count } : {};
  }
  data.metadata = layout(cell);
  return data;
}

function toCellOutput(o: Output): vscode.NotebookCellOutput {
  const meta: Record<string, unknown> = { outputType: o.output_type };
  if (o.transient) meta.transient = o.transient;
  if (o.output_type === 'stream') {
    const text = concat(o.text);
    return new vscode.NotebookCellOutput([o.name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text)], meta);
  }
  if (o.output_type === 'error') {
    const traceback = Array.isArray(o.traceback) ? (o.traceback as string[]) : [];
    const err = { name: String(o.ename ?? ''), message: String(o.evalue ?? ''), stack: traceback.join('\n') };
    // originalError keeps the traceback exactly (ANSI codes and all) for the next save.
    return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(err as Error)], { ...meta, originalError: o });
  }
  if (o.output_type === 'display_data' || o.output_type === 'execute_result' || o.output_type === 'update_display_data') {
    meta.executionCount = o.execution_count;
    meta.metadata = o.metadata ? clone(o.metadata) : {};
  }
  const items: vscode.NotebookCellOutputItem[] = [];
  if (o.data && typeof o.data === 'object') {
    for (const [mime, value] of Object.entries(o.data as Record<string, unknown>)) items.push(toOutputItem(mime, value));
  }
  return new vscode.NotebookCellOutput(sortItems(items), meta);
}

function toOutputItem(mime: string, value: unknown): vscode.NotebookCellOutputItem {
  if (!value) return vscode.NotebookCellOutputItem.text('', mime);
  if ((mime.startsWith('text/') || TEXT_MIMES.includes(mime)) && (Array.isArray(value) || typeof value === 'string')) {
    return vscode.NotebookCellOutputItem.text(concat(value), mime);
  }
  if (mime.startsWith('image/') && mime !== 'image/svg+xml' && typeof value === 'string') {
    // nbformat stores images as base64; VS Code keeps the bytes.
    return new vscode.NotebookCellOutputItem(Buffer.from(value, 'base64'), mime);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return vscode.NotebookCellOutputItem.text(JSON.stringify(value), mime);
  if (mime === 'application/json') return vscode.NotebookCellOutputItem.json(value, mime);
  return vscode.NotebookCellOutputItem.text(concat(value), mime);
}

function sortItems(items: vscode.NotebookCellOutputItem[]): vscode.NotebookCellOutputItem[] {
  const rank = (item: vscode.NotebookCellOutputItem): number => {
    if (item.mime.startsWith('application/vnd.') && item.data.byteLength === 0) return 100;
    const i = MIME_ORDER.findIndex((m) => (m.endsWith('.*') ? item.mime.startsWith(m.slice(0, -1)) : item.mime.startsWith(m)));
    return i < 0 ? 100 : i;
  };
  return items.map((item) => ({ item, r: rank(item) })).sort((a, b) => a.r - b.r).map((x) => x.item);
}

/** The language of code cells that need no metadata.vscode.languageId (as the serializer decides). */
function preferredLanguage(nb: Notebook, doc: vscode.NotebookDocument): string {
  const info = (nb.metadata?.language_info ?? undefined) as { name?: unknown } | undefined;
  if (typeof info?.name === 'string' && info.name) return info.name;
  const code = doc.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId !== 'raw');
  if (code) return code.document.languageId;
  const ks = (nb.metadata?.kernelspec ?? undefined) as { language?: unknown } | undefined;
  return typeof ks?.language === 'string' && ks.language ? ks.language.toLowerCase() : 'python';
}

/** The document's notebook metadata with the nbformat top level of `nb` (keeps indentAmount etc.). */
function notebookMetadata(doc: vscode.NotebookDocument, nb: Notebook): Record<string, unknown> {
  const { cells: _cells, ...top } = nb;
  return { ...doc.metadata, ...clone(top), cells: [] };
}

/** A notebook to write into the editor: cells of a 4.5+ notebook get ids, as Jupyter gives them on save. */
function withCellIds(nb: Notebook): Notebook {
  if (!supportsCellIds(nb) || nb.cells.every((c) => typeof c.id === 'string')) return nb;
  const taken = new Set(nb.cells.map((c) => c.id).filter((x): x is string => typeof x === 'string'));
  return {
    ...nb,
    cells: nb.cells.map((c) => {
      if (typeof c.id === 'string') return c;
      const id = newCellId(taken);
      taken.add(id);
      return { ...c, id };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// VS Code -> nbformat

/**
 * What a cell's export depends on. VS Code replaces metadata, executionSummary and each output
 * object when they change (and bumps the text's version), so identity says "unchanged".
 */
interface CellState {
  kind: vscode.NotebookCellKind;
  version: number;
  languageId: string;
  metadata: unknown;
  summary: unknown;
  outputs: readonly vscode.NotebookCellOutput[];
}

function cellState(c: vscode.NotebookCell): CellState {
  return { kind: c.kind, version: c.document.version, languageId: c.document.languageId, metadata: c.metadata, summary: c.executionSummary, outputs: c.outputs };
}

function sameState(a: CellState, b: CellState): boolean {
  if (a.kind !== b.kind || a.version !== b.version || a.languageId !== b.languageId || a.metadata !== b.metadata || a.summary !== b.summary) return false;
  if (a.outputs.length !== b.outputs.length) return false;
  for (let i = 0; i < a.outputs.length; i++) if (a.outputs[i] !== b.outputs[i]) return false;
  return true;
}

/** The document (or only some of its cells) as NotebookData, what the ipynb serializer's exportNotebook takes. */
function documentData(doc: vscode.NotebookDocument, only?: readonly vscode.NotebookCell[]): vscode.NotebookData {
  const cells = (only ?? doc.getCells()).map((c) => {
    const d = new vscode.NotebookCellData(c.kind, c.document.getText(), c.document.languageId);
    d.metadata = withRunCount(c);
    d.outputs = [...c.outputs];
    if (c.executionSummary) d.executionSummary = c.executionSummary;
    return d;
  });
  const data = new vscode.NotebookData(cells);
  data.metadata = doc.metadata;
  return data;
}

/**
 * A cell just run by a kernel has its count in executionSummary; vscode.ipynb copies it into
 * metadata.execution_count a moment later (debounced). Read it as it will be saved.
 */
function withRunCount(c: vscode.NotebookCell): Record<string, unknown> {
  const s = c.executionSummary;
  if (c.kind === vscode.NotebookCellKind.Code && s?.executionOrder && typeof s.success === 'boolean' && c.metadata?.execution_count !== s.executionOrder) {
    return { ...c.metadata, execution_count: s.executionOrder };
  }
  return c.metadata;
}

/** Our own converter, mirroring vscode.ipynb's serializer: used when its API is not available. */
export function documentToNotebook(doc: vscode.NotebookDocument): Notebook {
  const top = (doc.metadata ?? {}) as Record<string, unknown>;
  const metadata = clone((top.metadata ?? {}) as Record<string, unknown>);
  const info = metadata.language_info as { name?: unknown } | undefined;
  const lang = typeof info?.name === 'string' ? info.name : doc.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code)?.document.languageId;
  return {
    cells: doc.getCells().map((c) => documentCell(c, lang)),
    metadata,
    nbformat: typeof top.nbformat === 'number' ? top.nbformat : 4,
    nbformat_minor: typeof top.nbformat_minor === 'number' ? top.nbformat_minor : 5,
  };
}

function documentCell(c: vscode.NotebookCell, lang: string | undefined): Cell {
  const m = clone(withRunCount(c) ?? {}) as Record<string, unknown>;
  const source = splitSource(c.document.getText().replace(/\r\n/g, '\n'));
  const meta = (m.metadata && typeof m.metadata === 'object' ? m.metadata : {}) as Record<string, unknown>;
  let cell: Cell;
  if (c.kind === vscode.NotebookCellKind.Markup || c.document.languageId === 'raw') {
    cell = { cell_type: c.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'raw', metadata: meta, source };
    if (m.attachments) cell.attachments = m.attachments as Record<string, unknown>;
  } else {
    if (c.document.languageId !== lang) meta.vscode = { languageId: c.document.languageId };
    else delete meta.vscode;
    cell = {
      cell_type: 'code',
      execution_count: typeof m.execution_count === 'number' ? m.execution_count : null,
      metadata: meta,
      outputs: c.outputs.map(documentOutput),
      source,
    };
  }
  if (typeof m.id === 'string' && m.id) cell.id = m.id;
  return cell;
}

const OUTPUT_KEYS: Record<string, string[]> = {
  stream: ['output_type', 'name', 'text'],
  error: ['output_type', 'ename', 'evalue', 'traceback'],
  display_data: ['output_type', 'data', 'metadata'],
  execute_result: ['output_type', 'name', 'execution_count', 'data', 'metadata'],
};

function documentOutput(o: vscode.NotebookCellOutput): Output {
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  const type = meta.outputType as string | undefined;
  const data = () => Object.fromEntries(o.items.map((i) => [i.mime, itemValue(i.mime, i.data)]));
  let out: Output;
  const isError = o.items.length === 1 && o.items[0].mime === MIME_ERROR;
  const isStream = o.items.every((i) => i.mime === MIME_STDOUT || i.mime === MIME_STDERR);
  if (type === 'error' || (!type && isError)) out = errorOutput(o);
  else if (type === 'stream' || (!type && isStream)) out = streamOutput(o);
  else if (type === 'display_data' || type === 'execute_result' || type === 'update_display_data' || !type) {
    out = { output_type: type ?? 'display_data', data: data(), metadata: (meta.metadata as Record<string, unknown>) ?? {} };
    if (type === 'execute_result') out.execution_count = typeof meta.executionCount === 'number' ? meta.executionCount : null;
  } else {
    out = { output_type: type };
    if (meta.metadata) out.metadata = meta.metadata;
    if (o.items.length > 0) out.data = data();
  }
  if (meta.transient) out.transient = meta.transient;
  const allowed = OUTPUT_KEYS[out.output_type];
  if (allowed) for (const k of Object.keys(out)) if (!allowed.includes(k)) delete out[k];
  return out;
}

function errorOutput(o: vscode.NotebookCellOutput): Output {
  const item = o.items[0];
  if (!item?.data) return { output_type: 'error', ename: '', evalue: '', traceback: [] };
  const original = (o.metadata?.originalError ?? undefined) as { traceback?: unknown } | undefined;
  const value = JSON.parse(Buffer.from(item.data).toString('utf8')) as { name?: string; message?: string; stack?: string };
  return {
    output_type: 'error',
    ename: value.name,
    evalue: value.message,
    traceback: Array.isArray(original?.traceback) ? original.traceback : splitSource(value.stack || value.message || ''),
  };
}

function streamOutput(o: vscode.NotebookCellOutput): Output {
  const lines: string[] = [];
  for (const item of o.items) {
    if (item.mime !== MIME_STDOUT && item.mime !== MIME_STDERR) continue;
    const parts = Buffer.from(item.data).toString('utf8').split('\n');
    if (lines.length && parts.length && parts[0].length > 0) lines[lines.length - 1] += parts.shift();
    lines.push(...parts);
  }
  for (let i = 0; i < lines.length - 1; i++) lines[i] += '\n';
  if (lines.length && lines[lines.length - 1].length === 0) lines.pop();
  return { output_type: 'stream', name: o.items[0]?.mime === MIME_STDERR ? 'stderr' : 'stdout', text: lines };
}

function itemValue(mime: string, bytes: Uint8Array): unknown {
  if (!bytes) return '';
  try {
    const text = () => Buffer.from(bytes).toString('utf8');
    if (mime === MIME_ERROR) return JSON.parse(text());
    if (mime.startsWith('text/') || TEXT_MIMES.includes(mime)) return splitSource(text());
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') return Buffer.from(bytes).toString('base64');
    if (mime.toLowerCase().includes('json')) {
      const t = text();
      return t.length > 0 ? JSON.parse(t) : t;
    }
    return mime === 'image/svg+xml' ? splitSource(text()) : text();
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Splits on "\n" only, keeping the newline, dropping a trailing empty line: the ipynb serializer's split. */
function splitSource(s: string): string[] {
  if (s.length === 0) return [];
  const parts = s.split('\n');
  return parts.map((p, i) => (i < parts.length - 1 ? p + '\n' : p)).filter((p) => p.length > 0);
}

/** Joins a line list as the ipynb deserializer does (a line without "\n" gets one, except the last). */
function concat(v: unknown): string {
  if (!Array.isArray(v)) return typeof v === 'string' ? v : '';
  return v.map((s: string, i) => (i < v.length - 1 && !s.endsWith('\n') ? s + '\n' : s)).join('');
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * The nbformat view, checked like a file. Cells copied in the editor can share an id; the later
 * copies lose it in the view, so the next edit gives them fresh ids instead of failing.
 */
function checkedView(nb: Notebook, where: string, fresh?: ReadonlySet<number>): Notebook {
  const seen = new Set<string>();
  for (let i = 0; i < nb.cells.length; i++) {
    const id = nb.cells[i]?.id;
    if (typeof id !== 'string') continue;
    if (seen.has(id)) {
      const { id: _dup, ...rest } = nb.cells[i];
      nb.cells[i] = rest as Cell;
    } else seen.add(id);
  }
  if (!fresh) return validateNotebook(nb, where);
  validateNotebook({ ...nb, cells: [] }, where);
  nb.cells.forEach((c, i) => {
    if (fresh.has(i)) validateCell(c, `${where} cell ${i}`);
  });
  return nb;
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
