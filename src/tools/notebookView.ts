// What read_notebook hands the model: cells made model-ready (source as one string, outputs
// rendered as the execute tools render them, images as placeholders) and a pager that fills one
// result up to the budget (UTF-8 bytes of its JSON), and the outline lines of a notebook.
import { renderOutputs, capText, base64Bytes, formatBytes } from '../kernels/outputs';
import { cellRefId } from '../notebooks/cells';
import { joinSource, splitLines, type Cell, type Notebook, type Output } from '../notebooks/nbformat';
import { outlineCell, outlineText } from '../notebooks/outline';
import { resultSize, type OutputLimits } from './tool';

/** A call the model can make next, exactly (tool and arguments). */
export interface NextCall {
  tool: string;
  arguments: Record<string, unknown>;
}

/** The call as one line, for texts: read_notebook {"path":"a.ipynb","start_index":12}. */
export function callText(c: NextCall): string {
  return `${c.tool} ${JSON.stringify(c.arguments)}`;
}

/** How a cell is named in hints: its id, or "index:N" for notebooks without ids (both accepted). */
function ref(cell: Cell, index: number): string {
  return cellRefId(cell, index);
}

export function readOutputCall(path: string, cell: Cell, index: number, outputIndex: number | undefined, extra: Record<string, unknown> = {}): NextCall {
  return { tool: 'read_output', arguments: { path, cell_id: ref(cell, index), ...(outputIndex !== undefined ? { output_index: outputIndex } : {}), ...extra } };
}

export type CellForm = 'full' | 'source' | 'raw';

export interface CellCaps {
  /** Characters per output text (head and tail kept). */
  output: number;
  /** Characters of source (head and tail kept). */
  source: number;
  /** Outputs only named (one line each), or in one line for all: the last resorts for a cell too big for a page. */
  outputsAsLines?: boolean | 'one';
}

/**
 * One cell as the model reads it. "full": nbformat keys, source as one string, outputs rendered
 * (ANSI stripped, long text cut with the read_output call for the rest, rich outputs as their
 * text/plain, images as placeholders naming the read_output call). "source": no outputs. "raw":
 * the cell's nbformat JSON as saved, except that base64 payloads are replaced by placeholders.
 */
export function modelCell(path: string, cell: Cell, index: number, form: CellForm, caps: CellCaps, limits: Pick<OutputLimits, 'maxImageBytes'>): Record<string, unknown> {
  if (form === 'raw') return rawCell(path, cell, index, caps);
  const src = joinSource(cell.source);
  const out: Record<string, unknown> = { index, id: ref(cell, index), cell_type: cell.cell_type };
  out.source = capText(src, caps.source, (offset) => `Read the whole source with ${callText(readOutputCall(path, cell, index, undefined, { offset }))}.`);
  // Run timestamps (Jupyter's "execution", the ExecuteTime extension's) say nothing to a model.
  const metadata = Object.fromEntries(Object.entries(cell.metadata ?? {}).filter(([k]) => k !== 'execution' && k !== 'ExecuteTime'));
  if (Object.keys(metadata).length > 0) {
    const meta = JSON.stringify(metadata);
    out.metadata = meta.length <= 500 ? metadata : `[${meta.length} characters of metadata: read it with format "raw"]`;
  }
  if (cell.cell_type === 'code') {
    out.execution_count = cell.execution_count ?? null;
    const outputs = (cell.outputs ?? []) as Output[];
    if (form === 'source') {
      if (outputs.length) out.outputs_left_out = outputs.length;
    } else if (caps.outputsAsLines === 'one' && outputs.length) {
      out.outputs = [`[${outputs.length} outputs not shown to fit the page: read each with ${callText(readOutputCall(path, cell, index, 0))}, output_index 0 to ${outputs.length - 1}]`];
    } else if (caps.outputsAsLines && outputs.length) {
      out.outputs = outputs.map((_o, i) => `[output ${i} not shown to fit the page: ${callText(readOutputCall(path, cell, index, i))}]`);
    } else {
      out.outputs = renderOutputs(outputs, { maxOutputChars: caps.output, maxImageBytes: limits.maxImageBytes }, {
        images: 'placeholder',
        imageHint: (i) => callText(readOutputCall(path, cell, index, i)),
        moreHint: (i, offset) => `Read the rest with ${callText(readOutputCall(path, cell, index, i, { offset }))}.`,
      }).outputs;
    }
  }
  return out;
}

// Mime types whose values are text even though they are not text/*.
const TEXT_LIKE = /^(text\/|application\/(json|javascript|.*\+json|.*\+xml)|image\/svg\+xml)/;

function rawCell(path: string, cell: Cell, index: number, caps: CellCaps): Record<string, unknown> {
  const cut = (s: string, offset0?: (offset: number) => string) => capText(s, caps.output, offset0);
  const out: Record<string, unknown> = { ...(cell as Record<string, unknown>), index };
  const src = joinSource(cell.source);
  if (src.length > caps.source) out.source = capText(src, caps.source, (offset) => `Read the whole source with ${callText(readOutputCall(path, cell, index, undefined, { offset }))}.`);
  const outputs = (cell.outputs ?? []) as Output[];
  if (cell.cell_type === 'code' && caps.outputsAsLines && outputs.length) {
    // The last resort for a cell too big for a page: its outputs are named, each one read_output away.
    out.outputs = [`[${outputs.length} outputs not shown to fit the page: read each with ${callText(readOutputCall(path, cell, index, 0))}, output_index 0 to ${outputs.length - 1}]`];
  } else if (cell.cell_type === 'code') {
    out.outputs = outputs.map((o, i) => {
      const r: Record<string, unknown> = { ...o };
      const more = (offset: number) => `Read the rest with ${callText(readOutputCall(path, cell, index, i, { offset }))}.`;
      if (o.output_type === 'stream' && joinSource(o.text as string | string[]).length > caps.output) r.text = cut(joinSource(o.text as string | string[]), more);
      if (o.data && typeof o.data === 'object') {
        const data: Record<string, unknown> = {};
        for (const [mime, v] of Object.entries(o.data as Record<string, unknown>)) {
          const text = typeof v === 'string' || Array.isArray(v) ? joinSource(v as string | string[]) : undefined;
          if (text !== undefined && !TEXT_LIKE.test(mime)) {
            // Binary payloads (PNG, JPEG, PDF) are base64: never handed to the model as text.
            data[mime] = `[${mime}, ${formatBytes(base64Bytes(text))} of base64 left out; to see it: ${callText(readOutputCall(path, cell, index, i, { mime }))}]`;
          } else if (text !== undefined && text.length > caps.output) {
            data[mime] = cut(text, more);
          } else {
            data[mime] = v;
          }
        }
        r.data = data;
      }
      return r;
    });
  }
  // Attachments (images pasted into markdown) are base64 too.
  if (cell.attachments && typeof cell.attachments === 'object') {
    out.attachments = Object.fromEntries(Object.entries(cell.attachments as Record<string, Record<string, unknown>>).map(([name, bundle]) => [name, Object.keys(bundle ?? {}).map((m) => `[${m} attachment left out]`)]));
  }
  return out;
}

export interface PageOptions {
  path: string;
  notebook: Readonly<Notebook>;
  start: number;
  /** One past the last cell asked for (the notebook's end, or start + limit). */
  end: number;
  /** The limit the caller gave, if any (kept in the next call, reduced by what was returned). */
  limit?: number;
  /** The characters this page may take (the budget minus the rest of the result). */
  budget: number;
  limits: Pick<OutputLimits, 'maxImageBytes' | 'maxOutputChars'>;
  /**
   * False: return no cell rather than a shrunk one when the first does not fit (the overview
   * fills what room its outline leaves). Default true: a page always moves on.
   */
  atLeastOne?: boolean;
}

export interface CellPage {
  cells: Record<string, unknown>[];
  /** Index one past the last cell returned. */
  nextStart: number;
}

/**
 * Fills a page with cells in full (in `form`) while they fit. Always returns at least one cell,
 * shrunk if need be (shorter output texts, then outputs named only), so that paging with
 * nextStart visits every cell exactly once.
 */
export function pageCells(o: PageOptions, form: CellForm): CellPage {
  const { notebook, start, end, path, budget } = o;
  // Per output: a notebook page should show several cells, and the full text is one read_output away.
  const normal: CellCaps = { output: Math.min(o.limits.maxOutputChars, Math.max(500, Math.floor(budget / 16))), source: Math.floor(budget / 2) };
  const render = (i: number, caps: CellCaps = normal) => {
    const c = modelCell(path, notebook.cells[i], i, form, caps, o.limits);
    return { c, size: resultSize(JSON.stringify(c)) + 1 };
  };
  const cells: Record<string, unknown>[] = [];
  let used = 0;
  let i = start;
  for (; i < end; i++) {
    const { c, size } = render(i);
    if (used + size > budget) break;
    cells.push(c);
    used += size;
  }
  if (cells.length === 0 && i < end && o.atLeastOne !== false) {
    // The first cell alone is too big: shrink it rather than return nothing, so paging moves on.
    let r = render(i);
    for (const caps of [
      { output: 300, source: Math.floor(budget / 3) },
      { output: 300, source: Math.floor(budget / 4), outputsAsLines: true },
      { output: 200, source: 1000, outputsAsLines: 'one' as const },
    ]) {
      r = render(i, caps);
      if (r.size <= budget) break;
    }
    cells.push(r.c);
    i++;
  }
  return { cells, nextStart: i };
}

/** Outline lines from start while they fit in the budget (always at least one, so paging moves on). */
export function pageOutline(notebook: Readonly<Notebook>, start: number, end: number, budget: number): { outline: string[]; nextStart: number } {
  const outline: string[] = [];
  let used = 0;
  let i = start;
  for (; i < end; i++) {
    const line = outlineText([outlineCell(notebook.cells[i], i)]);
    const size = resultSize(JSON.stringify(line)) + 1;
    if (used + size > budget && outline.length > 0) break;
    outline.push(line);
    used += size;
  }
  return { outline, nextStart: i };
}

/** Notebook-level fields for the model: the kernel and language, not the whole metadata (widget state can be megabytes). */
export function notebookHead(nb: Readonly<Notebook>, raw: boolean, budget: number): Record<string, unknown> {
  const meta = (nb.metadata ?? {}) as Record<string, unknown>;
  let metadata: Record<string, unknown>;
  if (raw) {
    const size = resultSize(JSON.stringify(meta));
    metadata = size <= budget / 8 ? meta : { left_out: `${size} characters of notebook metadata (keys: ${Object.keys(meta).join(', ')})` };
  } else {
    metadata = {};
    if (meta.kernelspec) metadata.kernelspec = meta.kernelspec;
    const li = meta.language_info as Record<string, unknown> | undefined;
    if (li?.name) metadata.language_info = { name: li.name, ...(li.version ? { version: li.version } : {}) };
  }
  return { nbformat: nb.nbformat, nbformat_minor: nb.nbformat_minor, metadata };
}

/** Marks a notebook object as read_notebook's view, so write_notebook can restore what the view left out. */
export interface ViewMark {
  path: string;
  /** Not written since issue #19 (write_notebook checks the session's last read); older views may carry it. */
  version?: string;
  /** True when the view held every cell (in full). */
  complete: boolean;
}

/**
 * The seed's flow reads a notebook and writes `result.notebook` back (or to a copy). The view has
 * outputs rendered for a model (text cut, images as placeholders) and only the kernel metadata, so
 * writing it as is would lose data. This rebuilds the notebook: cells are matched to the notebook
 * that was read by id (or "index:N"); outputs and execution counts come from it; a source or
 * metadata the caller changed is kept, a cut one is restored; notebook metadata is the original's
 * with the caller's keys on top. A partial view (one page) is refused: writing it would drop the
 * other cells. Cells are restored from the notebook as it is now; a write over a notebook changed
 * since the read is still refused by the version check unless the caller insists (overwrite).
 */
export function restoreFromView(content: Record<string, unknown>, original: Readonly<Notebook>): Record<string, unknown> {
  const mark = content.read_from as ViewMark;
  if (!mark.complete) {
    throw new Error(
      `This notebook object is one page of read_notebook's view of ${mark.path} (not every cell), so writing it would drop the other cells; nothing was written. Change cells with update_cell / edit_cell_source / add_cell, or read every page first.`,
    );
  }
  const byId = new Map<string, Cell>();
  original.cells.forEach((c, i) => byId.set(cellRefId(c, i), c));
  const cells = ((content.cells ?? []) as Record<string, unknown>[]).map((v) => {
    const { index: _i, outputs_left_out: _l, ...cell } = v;
    const orig = typeof cell.id === 'string' ? byId.get(cell.id) : undefined;
    if (!orig) {
      // A cell the caller added: kept as given (validated as nbformat by write_notebook).
      if (typeof cell.id === 'string' && cell.id.startsWith('index:')) delete cell.id;
      return cell;
    }
    const out: Record<string, unknown> = { ...(orig as Record<string, unknown>) };
    if (!orig.id) delete out.id;
    out.cell_type = cell.cell_type ?? orig.cell_type;
    const src = typeof cell.source === 'string' ? cell.source : Array.isArray(cell.source) ? joinSource(cell.source as string[]) : undefined;
    const origSrc = joinSource(orig.source);
    // Jupyter saves sources as lists of lines; the view gives one string.
    if (src !== undefined && src !== origSrc && !isCutSource(src, origSrc)) out.source = splitLines(src);
    if (cell.metadata && typeof cell.metadata === 'object') out.metadata = { ...(orig.metadata ?? {}), ...(cell.metadata as Record<string, unknown>) };
    if (out.cell_type !== 'code') {
      delete out.outputs;
      delete out.execution_count;
    } else if (orig.cell_type !== 'code') {
      out.outputs = [];
      out.execution_count = null;
    }
    return out;
  });
  const { read_from: _r, cells: _c, ...rest } = content;
  // The view shows a subset of kernelspec / language_info: merged one level deep over the original.
  const metadata: Record<string, unknown> = { ...((original.metadata ?? {}) as Record<string, unknown>) };
  for (const [k, v] of Object.entries((rest.metadata ?? {}) as Record<string, unknown>)) {
    const o = metadata[k];
    metadata[k] = isPlain(v) && isPlain(o) ? { ...o, ...v } : v;
  }
  return { ...rest, metadata, cells };
}

/** True when `view` is `full` with its middle cut by capText (what the view shows of a long source). */
function isCutSource(view: string, full: string): boolean {
  const m = /\n… \[output truncated: showing \d+ of (\d+) characters, the first (\d+) and the last (\d+);[^\n]*\] …\n/.exec(view);
  if (!m || Number(m[1]) !== full.length) return false;
  return full.startsWith(view.slice(0, m.index)) && full.endsWith(view.slice(m.index + m[0].length));
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
