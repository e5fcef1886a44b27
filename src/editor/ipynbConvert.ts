// Conversions between nbformat and VS Code's notebook model for notebooks OPEN in the editor,
// mirroring the built-in ipynb serializer: nbformat -> NotebookCellData (what the store writes into
// the document) and NotebookDocument -> nbformat (our own export, the fallback when vscode.ipynb's
// exportNotebook is missing). Tool results from kernels use cellOutputs.ts instead.
//
// The ipynb serializer's layout in VS Code 1.139 (read off its deserializer and checked in the host
// tests): cell.metadata = { id, metadata, attachments, execution_count (code cells) } — the saved
// execution_count is taken from cell.metadata, not from executionSummary; notebook metadata =
// the nbformat JSON without cells ({ nbformat, nbformat_minor, metadata, ... }) plus `indentAmount`;
// outputs carry metadata { outputType, metadata, executionCount, transient } and use the mimes
// application/vnd.code.notebook.stdout/.stderr/.error, other mimes as is (images as bytes).
import * as vscode from 'vscode';
import { joinSource, newCellId, supportsCellIds, type Cell, type Notebook, type Output } from '../notebooks/nbformat';

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

// ---------------------------------------------------------------------------------------------
// nbformat -> VS Code (as the ipynb deserializer does)

/** Where the ipynb serializer keeps a cell's nbformat fields: in cell.metadata. */
export function layout(cell: Cell): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (cell.cell_type === 'code') m.execution_count = typeof cell.execution_count === 'number' ? cell.execution_count : null;
  m.metadata = clone(cell.metadata ?? {});
  if (typeof cell.id === 'string') m.id = cell.id;
  if (cell.attachments) m.attachments = clone(cell.attachments);
  return m;
}

export function toCellData(cell: Cell, lang: string): vscode.NotebookCellData {
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
export function preferredLanguage(nb: Notebook, doc: vscode.NotebookDocument): string {
  const info = (nb.metadata?.language_info ?? undefined) as { name?: unknown } | undefined;
  if (typeof info?.name === 'string' && info.name) return info.name;
  const code = doc.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId !== 'raw');
  if (code) return code.document.languageId;
  const ks = (nb.metadata?.kernelspec ?? undefined) as { language?: unknown } | undefined;
  return typeof ks?.language === 'string' && ks.language ? ks.language.toLowerCase() : 'python';
}

/** The document's notebook metadata with the nbformat top level of `nb` (keeps indentAmount etc.). */
export function notebookMetadata(doc: vscode.NotebookDocument, nb: Notebook): Record<string, unknown> {
  const { cells: _cells, ...top } = nb;
  return { ...doc.metadata, ...clone(top), cells: [] };
}

/** A notebook to write into the editor: cells of a 4.5+ notebook get ids, as Jupyter gives them on save. */
export function withCellIds(nb: Notebook): Notebook {
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

/** The document (or only some of its cells) as NotebookData, what the ipynb serializer's exportNotebook takes. */
export function documentData(doc: vscode.NotebookDocument, only?: readonly vscode.NotebookCell[]): vscode.NotebookData {
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

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
