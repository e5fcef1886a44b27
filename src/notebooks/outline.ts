// Compact views of a notebook for a model: an outline (one entry per cell) and source-only cells.
import { cellRefId, firstLine } from './cells';
import { joinSource, type Cell, type Output } from './nbformat';

export interface OutputSummary {
  output_type: string;
  /** Mime types of display data / results, or the stream name. */
  kinds: string[];
  /** Approximate size in characters of the output's payload. */
  size: number;
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

export function summariseOutput(o: Output): OutputSummary {
  if (o.output_type === 'stream') {
    return { output_type: 'stream', kinds: [String(o.name ?? 'stdout')], size: joinSource(o.text).length };
  }
  if (o.output_type === 'error') {
    return { output_type: 'error', kinds: [String(o.ename ?? 'Error')], size: String(o.evalue ?? '').length };
  }
  const data = (o.data ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const v of Object.values(data)) size += typeof v === 'string' ? v.length : Array.isArray(v) ? joinSource(v).length : JSON.stringify(v).length;
  return { output_type: o.output_type, kinds: Object.keys(data), size };
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
      first_line: firstLine(cell),
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

/** One line per cell: "[3] id=ab12 code (5 lines, exec 2) import pandas as pd → stream:stdout 120ch, display_data:image/png 40k". */
export function outlineText(entries: CellOutline[]): string {
  return entries
    .map((e) => {
      const meta = [`${e.lines} line${e.lines === 1 ? '' : 's'}`];
      if (e.execution_count != null) meta.push(`exec ${e.execution_count}`);
      const outs = e.outputs?.length ? ' -> ' + e.outputs.map((o) => `${o.output_type}:${o.kinds.join('|')} ${fmtSize(o.size)}`).join(', ') : '';
      return `[${e.index}] id=${e.id} ${e.cell_type} (${meta.join(', ')}) ${e.first_line}${outs}`;
    })
    .join('\n');
}

function fmtSize(n: number): string {
  return n >= 1000 ? `${Math.round(n / 100) / 10}k chars` : `${n} chars`;
}
