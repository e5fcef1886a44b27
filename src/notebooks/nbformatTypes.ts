// nbformat 4 types, and making cells and notebooks as nbformat writes them (line lists, normalised
// outputs). The leaf of the nbformat files: nbformat.ts is their public face (import from there).
import { randomBytes } from 'crypto';
import { setOwn } from '../common/own';

export type MultilineString = string | string[];
export type CellType = 'code' | 'markdown' | 'raw';
export const CELL_TYPES: readonly CellType[] = ['code', 'markdown', 'raw'];

export interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error' | string;
  [key: string]: unknown;
}

export interface Cell {
  cell_type: CellType;
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
  [key: string]: unknown;
}

/** A notebook problem a person can act on; the message starts with "Invalid notebook format". */
export class NotebookFormatError extends Error {
  constructor(where: string, what: string) {
    super(`Invalid notebook format: ${where}: ${what}`);
    this.name = 'NotebookFormatError';
  }
}

/** Joins a multi-line string as nbformat stores it (list or string) into one string. */
export function joinSource(s: unknown): string {
  if (Array.isArray(s)) return s.join('');
  return typeof s === 'string' ? s : '';
}

/**
 * Splits like Python's str.splitlines(keepends=True), which nbformat uses on write: it also breaks
 * after a lone \r, \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, and keeps "\r\n" together.
 */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0b || c === 0x0c || c === 0x1c || c === 0x1d || c === 0x1e ||
        c === 0x85 || c === 0x2028 || c === 0x2029) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    } else if (c === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) i++;
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** A fresh nbformat 4.5 cell id: 8 hex chars like JupyterLab's. */
export function newCellId(taken?: { has(id: string): boolean }): string {
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (!taken || !taken.has(id)) return id;
  }
}

/** Whether a notebook's format supports cell ids (nbformat >= 4.5). */
export function supportsCellIds(nb: Notebook): boolean {
  return nb.nbformat > 4 || (nb.nbformat === 4 && nb.nbformat_minor >= 5);
}

// Keys whose string values nbformat stores as line lists (when given as a string it splits them).
function isMultilineMime(mime: string): boolean {
  if (mime.startsWith('text/')) return true;
  if (mime === 'image/svg+xml' || mime === 'application/javascript') return true;
  return false;
}

/**
 * Builds a cell as nbformat writes it: source as a line list, outputs normalised, empty values [].
 * Unknown keys survive. Used for cells we create or whose source we change; untouched cells keep
 * exactly what was read.
 */
export function makeCell(cellType: CellType, source: string, opts: { id?: string; metadata?: Record<string, unknown> } = {}): Cell {
  const cell: Cell = { cell_type: cellType, metadata: opts.metadata ?? {}, source: splitLines(source) };
  if (opts.id) cell.id = opts.id;
  if (cellType === 'code') {
    cell.execution_count = null;
    cell.outputs = [];
  }
  return cell;
}

/** Normalises an output for saving: multi-line mime data and stream text as line lists. */
export function normaliseOutput(o: Output): Output {
  const out: Output = { ...o };
  if (o.output_type === 'stream' && typeof o.text === 'string') out.text = splitLines(o.text);
  if ((o.output_type === 'display_data' || o.output_type === 'execute_result') && o.data && typeof o.data === 'object') {
    const data: Record<string, unknown> = {};
    for (const [mime, v] of Object.entries(o.data as Record<string, unknown>)) {
      setOwn(data, mime, typeof v === 'string' && isMultilineMime(mime) ? splitLines(v) : v);
    }
    out.data = data;
    if (!out.metadata) out.metadata = {};
  }
  return out;
}

/** A new, empty nbformat 4.5 notebook for a kernelspec. */
export function emptyNotebook(kernel: { name: string; display_name?: string; language?: string }): Notebook {
  const language = kernel.language ?? guessLanguage(kernel.name);
  const metadata: Record<string, unknown> = {
    kernelspec: { display_name: kernel.display_name ?? defaultDisplayName(kernel.name, language), language, name: kernel.name },
    language_info: { name: language },
  };
  return { cells: [], metadata, nbformat: 4, nbformat_minor: 5 };
}

function guessLanguage(name: string): string {
  const n = name.toLowerCase();
  if (n.startsWith('python') || n.startsWith('py')) return 'python';
  if (n === 'ir' || n.startsWith('r')) return 'R';
  if (n.startsWith('julia')) return 'julia';
  if (n.includes('javascript') || n.startsWith('deno') || n.includes('tslab')) return 'javascript';
  return name;
}

function defaultDisplayName(name: string, language: string): string {
  if (name === 'python3') return 'Python 3 (ipykernel)';
  if (language === 'R') return 'R';
  return name;
}
