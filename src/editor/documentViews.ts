// The export cache of the open-notebook store: each open document's nbformat view, exactly as VS
// Code would save it, through the built-in vscode.ipynb extension's `exportNotebook(NotebookData)`
// (our own converter in ipynbConvert.ts is the fallback when that API is missing). Cached per
// document version; only cells changed since the last export go through vscode.ipynb again. Also
// the versions the store hands out (`editor:<nonce>:<version>:<uri>`), with the aliases that keep a
// version valid across vscode.ipynb's execution-count reset (see countResets.ts).
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { ToolError } from '../common/errors';
import { validateCell, validateNotebook, type Cell, type Notebook } from '../notebooks/nbformat';
import type { Workspace } from '../notebooks/paths';
import type { Logger } from '../util/log';
import { phaseClock } from '../util/phases';
import { documentData, documentToNotebook } from './ipynbConvert';

/** How many times to export (or plan) again when the document changed meanwhile. */
export const MAX_REPLANS = 5;

/** What the built-in vscode.ipynb extension exports once activated. */
interface IpynbApi {
  exportNotebook(notebook: vscode.NotebookData): string | Thenable<string>;
}

export interface Snapshot {
  docVersion: number;
  version: string;
  notebook: Notebook;
}

export interface DocumentViewsOptions {
  log?: Logger;
  /** Use vscode.ipynb's exportNotebook (default true); false forces our own converter (tests). */
  useIpynbApi?: boolean;
}

export class DocumentViews {
  private readonly cache = new Map<string, Snapshot>();
  // A nonce per document object: a notebook closed and opened again starts at a low version again.
  private readonly nonces = new WeakMap<vscode.NotebookDocument, string>();
  private api: Promise<IpynbApi | undefined> | undefined;
  /** A cell's last export and what it was made from (VS Code keeps one NotebookCell object per cell). */
  private readonly exported = new WeakMap<vscode.NotebookCell, { docMetadata: unknown; state: CellState; cell: Cell }>();
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
    private readonly workspace: Workspace,
    private readonly opts: DocumentViewsOptions,
  ) {}

  /** A cell's text changed (it may change before the notebook's own change event names the cell). */
  cellChanged(doc: vscode.NotebookDocument, cell: vscode.NotebookCell): void {
    this.changedCells.get(doc)?.cells.add(cell);
  }

  /** Records a change of the document; returns the version the change listener saw before it. */
  noteChange(e: vscode.NotebookDocumentChangeEvent): number {
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
    return previous;
  }

  /**
   * The document's version names the same notebook as `previous` (vscode.ipynb's execution-count
   * reset): only when this change directly follows the one seen before (nothing else happened between).
   */
  aliasVersion(doc: vscode.NotebookDocument, previous: number): void {
    const v = this.versions.get(doc);
    if (v && doc.version === previous + 1) v.alias.set(doc.version, v.alias.get(previous) ?? previous);
  }

  forget(doc: vscode.NotebookDocument): void {
    this.cache.delete(doc.uri.toString());
  }

  clear(): void {
    this.cache.clear();
  }

  /** The document as nbformat, cached per document version. */
  async snapshot(doc: vscode.NotebookDocument): Promise<Snapshot> {
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

  versionOf(doc: vscode.NotebookDocument, docVersion: number): string {
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
}

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
