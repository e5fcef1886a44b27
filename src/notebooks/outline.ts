// Compact views of a notebook for a model: an outline, one short line per cell. A 471-cell
// notebook's outline is read in a few calls of 8,000 characters (VS Code's budget), so every
// character of a line counts; OUTLINE_LEGEND says once what the short forms mean.
import { cellRefId, firstLine } from './cells';
import { joinSource, type Cell, type Output } from './nbformat';

/** What an outline line says, for the note of a result that holds outline lines. */
export const OUTLINE_LEGEND = 'Outline lines: [index] cell_id type, source lines (L), #execution count: first line -> outputs (kind, characters; ×n for n outputs in a row).';

export interface OutputSummary {
  /** "stdout", "stderr", "error ZeroDivisionError", or the main kind of rich data ("png", "html", "text"…). */
  kind: string;
  /** Characters of its text (undefined for images and errors: their size says nothing to a model). */
  size?: number;
}

export interface CellOutline {
  index: number;
  id: string;
  cell_type: string;
  first_line: string;
  lines: number;
  execution_count?: number | null;
  outputs?: OutputSummary[];
}

// The kind a rich output is named by, most telling first.
const KINDS: Array<[RegExp, string]> = [
  [/^image\/png$/, 'png'],
  [/^image\/jpeg$/, 'jpeg'],
  [/^image\/svg\+xml$/, 'svg'],
  [/^image\//, 'image'],
  [/^application\/vnd\.jupyter\.widget-view\+json$/, 'widget'],
  [/^text\/html$/, 'html'],
  [/^application\/(.*\+)?json$/, 'json'],
  [/^text\/markdown$/, 'md'],
  [/^text\/latex$/, 'latex'],
  [/^application\/javascript$/, 'js'],
  [/^text\/plain$/, 'text'],
];

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? joinSource(v as string[]) : JSON.stringify(v);
}

export function summariseOutput(o: Output): OutputSummary {
  if (o.output_type === 'stream') return { kind: String(o.name ?? 'stdout'), size: textOf(o.text).length };
  if (o.output_type === 'error') return { kind: `error ${String(o.ename ?? 'Error')}` };
  const data = (o.data ?? {}) as Record<string, unknown>;
  const mimes = Object.keys(data);
  for (const [re, kind] of KINDS) {
    const mime = mimes.find((m) => re.test(m));
    if (mime) return kind === 'png' || kind === 'jpeg' || kind === 'image' ? { kind } : { kind, size: textOf(data[mime]).length };
  }
  return mimes.length ? { kind: mimes[0].replace(/^.*\//, ''), size: textOf(data[mimes[0]]).length } : { kind: o.output_type };
}

// Cells are immutable once read (edits replace the cell object), so the part of an outline that
// does not depend on the cell's position is computed once per cell object.
const outlineCache = new WeakMap<Cell, Omit<CellOutline, 'index' | 'id'>>();

export function outlineCell(cell: Cell, index: number): CellOutline {
  let body = outlineCache.get(cell);
  if (!body) {
    const src = joinSource(cell.source);
    body = {
      cell_type: cell.cell_type,
      first_line: firstLine(cell, 64),
      lines: src === '' ? 0 : src.split('\n').length - (src.endsWith('\n') ? 1 : 0),
    };
    if (cell.cell_type === 'code') {
      body.execution_count = cell.execution_count ?? null;
      body.outputs = (cell.outputs ?? []).map(summariseOutput);
    }
    outlineCache.set(cell, body);
  }
  return { index, id: cellRefId(cell, index), ...body };
}

const TYPES: Record<string, string> = { markdown: 'md' };

/**
 * One line per cell (OUTLINE_LEGEND): "[3] ab12cd34 code 5L #2: import pandas as pd -> stdout 120, png".
 * Outputs of the same kind in a row are counted, not repeated ("stdout×40 2.9k").
 */
export function outlineText(entries: CellOutline[]): string {
  return entries
    .map((e) => {
      let line = `[${e.index}] ${e.id} ${TYPES[e.cell_type] ?? e.cell_type} ${e.lines}L`;
      if (e.execution_count != null) line += ` #${e.execution_count}`;
      if (e.first_line) line += `: ${e.first_line}`;
      if (e.outputs?.length) line += ` -> ${outputsText(e.outputs)}`;
      return line;
    })
    .join('\n');
}

function outputsText(outputs: OutputSummary[]): string {
  let runs = countRuns(outputs, (o, last) => last.kind === o.kind);
  // Kinds that take turns (stdout and stderr interleaved): counted per kind, not per run.
  if (runs.length > 4) runs = countRuns(outputs, (o, _last, all) => all.find((r) => r.kind === o.kind));
  return runs.map((r) => `${r.kind}${r.n > 1 ? `×${r.n}` : ''}${r.size !== undefined ? ` ${fmtSize(r.size)}` : ''}`).join(', ');
}

interface Run {
  kind: string;
  n: number;
  size?: number;
}

/** Outputs counted into runs: `joins` names the run an output adds to (or none: a new run). */
function countRuns(outputs: OutputSummary[], joins: (o: OutputSummary, last: Run, all: Run[]) => Run | boolean | undefined): Run[] {
  const runs: Run[] = [];
  for (const o of outputs) {
    const last = runs[runs.length - 1];
    const hit = last ? joins(o, last, runs) : undefined;
    const run = hit === true ? last : hit || undefined;
    if (run) {
      run.n++;
      if (o.size !== undefined) run.size = (run.size ?? 0) + o.size;
    } else runs.push({ kind: o.kind, n: 1, size: o.size });
  }
  return runs;
}

function fmtSize(n: number): string {
  return n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(n);
}
