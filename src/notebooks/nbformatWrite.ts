// Writing notebooks byte-for-byte as Jupyter writes them (json.dumps(indent=1, sort_keys=True)),
// as pieces: each cell's bytes are cached, so after an edit only the changed cells are encoded
// again. Public face: nbformat.ts.
import { runSliced, runSync } from './turns';
import type { Cell, Notebook } from './nbformatTypes';

/**
 * Serialises like nbformat.write (json.dumps(indent=1, sort_keys=True, ensure_ascii=False) + "\n").
 * Python escapes only '"', '\\' and control characters below U+0020; JSON.stringify does the same
 * except it writes lone surrogates as \\udXXX too (Python would too) and leaves U+2028/9 raw (as
 * Python does with ensure_ascii=False). Keys are sorted by UTF-16 code unit, as Python sorts str for
 * BMP keys.
 */
export function serializeNotebook(nb: Notebook): string {
  return Buffer.concat(serializeNotebookPieces(nb)).toString('utf8');
}

/**
 * The file's bytes as a list of buffers, mostly the per-cell cached UTF-8 bytes: after an edit only
 * the changed cells are serialized and encoded again, and the file store hands the list to writev
 * as it is (no multi-MB string join and re-encode per write; that was most of a large notebook's
 * edit time).
 */
export function serializeNotebookPieces(nb: Notebook): Buffer[] {
  return runSync(serializeSteps(nb));
}

/**
 * serializeNotebookPieces in time slices (turns.ts): the first write of a million-cell notebook
 * compares every cell with its bytes in the file, which must not hold up other clients.
 */
export function serializeNotebookPiecesSliced(nb: Notebook, base?: Notebook): Promise<Buffer[]> {
  const spliced = base === undefined ? undefined : spliceFromLayout(nb, base);
  return spliced ? Promise.resolve(spliced) : runSliced(serializeSteps(nb));
}

// The last file written for a notebook, as the list of buffers it was written from, with where each
// cell's entry lies in the file (a "layout"). An edit changes a few cells and keeps the other cell
// objects (cells.ts), so the next file is the old bytes around the changed cells: views of the old
// pieces, and the new cells' bytes. Its cost no longer grows with the number of cells (a 5,000-cell
// notebook walked every cell and handed 15,000 pieces to writev) and nothing is copied in memory
// (one copy of a 1.5 MB file cost more than the write, page faults and garbage collection of the
// fresh buffer included). Keyed by the notebook object; `cells` is a copy of its cell list as
// serialized, so the layout stays right even if that list were changed in place later.
interface Layout {
  /** The file's bytes, in order. */
  pieces: Buffer[];
  /** Offset in the file of each piece. */
  at: Float64Array;
  cells: readonly Cell[];
  /** Offset of each cell's entry (its two-space indent) in the file. */
  start: Float64Array;
  /** Offset just past each cell's bytes (before the separator). */
  end: Float64Array;
}
const layouts = new WeakMap<Notebook, Layout>();
/** A layout of more pieces than this (each edit adds a few) is copied into one buffer when kept. */
const MAX_LAYOUT_PIECES = 256;
/** Above this a full write is not copied into one buffer (nor kept as a layout): one copy of a huge file would stall the event loop. */
const MAX_LAYOUT_BYTES = 64 * 1024 * 1024;

function keepLayout(nb: Notebook, written: Buffer[], start: Float64Array, end: Float64Array): void {
  // One copy every hundred edits or so (≈ 1 ms for a few MB), instead of a list that grows, or a
  // full serialization of every cell (≈ 130 ms for 5,000 cells) when it got too long.
  const pieces = written.length > MAX_LAYOUT_PIECES ? [Buffer.concat(written)] : written;
  const at = new Float64Array(pieces.length);
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    at[i] = pos;
    pos += pieces[i].length;
  }
  layouts.set(nb, { pieces, at, cells: nb.cells.slice(), start, end });
}

/** Views of the bytes [from, to) of a layout's file, pushed onto `out`. */
function bytesOf(l: Layout, from: number, to: number, out: Buffer[]): void {
  // The last piece starting at or before `from` (binary search).
  let lo = 0;
  let hi = l.pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (l.at[mid] <= from) lo = mid;
    else hi = mid - 1;
  }
  for (let i = lo; i < l.pieces.length && l.at[i] < to; i++) {
    const piece = l.pieces[i];
    const a = Math.max(0, from - l.at[i]);
    const b = Math.min(piece.length, to - l.at[i]);
    if (b > a) out.push(a === 0 && b === piece.length ? piece : piece.subarray(a, b));
  }
}

/**
 * The new file's pieces from `base`'s layout when `nb` keeps some of base's cells (same objects)
 * at its start or end; undefined when there is nothing to reuse. The parts outside the cell list
 * (metadata, nbformat, …) are small and serialized again every time.
 */
function spliceFromLayout(nb: Notebook, base: Notebook): Buffer[] | undefined {
  const old = layouts.get(base);
  if (old === undefined) return undefined;
  const frame = frameOf(nb);
  if (frame === undefined) return undefined;
  const cells = nb.cells;
  const oldCells = old.cells;
  const n = cells.length;
  const m = oldCells.length;
  let p = 0;
  while (p < n && p < m && cells[p] === oldCells[p]) p++;
  let q = 0;
  while (q < n - p && q < m - p && cells[n - 1 - q] === oldCells[m - 1 - q]) q++;
  if (p === 0 && q === 0) return undefined;
  const file = new Assembly(frame.head, n);
  if (p > 0) file.run(old, 0, p - 1, 0);
  for (let j = p; j < n - q; j++) file.entry(j, cellBytes(cells[j]));
  if (q > 0) file.run(old, m - q, m - 1, n - q);
  const pieces = file.finish(frame.tail);
  keepLayout(nb, pieces, file.start, file.end);
  return pieces;
}

/** A file being put together from its frame and cell entries, with where each entry lands. */
class Assembly {
  readonly pieces: Buffer[];
  private pos: number;
  /** Offset of each cell's entry (its two-space indent). */
  readonly start: Float64Array;
  /** Offset just past each cell's bytes. */
  readonly end: Float64Array;

  constructor(head: Buffer, cells: number) {
    this.pieces = [head];
    this.pos = head.length;
    this.start = new Float64Array(cells);
    this.end = new Float64Array(cells);
  }

  get size(): number {
    return this.pos;
  }

  /** Cell j's entry, encoded now. */
  entry(j: number, bytes: Buffer): void {
    this.separate(j);
    this.start[j] = this.pos;
    this.push(INDENT2);
    this.push(bytes);
    this.end[j] = this.pos;
  }

  /** Entries from..to of an old layout, separators between them included, taken as they were, as entries at.. */
  run(old: Layout, from: number, to: number, at: number): void {
    this.separate(at);
    const shift = this.pos - old.start[from];
    bytesOf(old, old.start[from], old.end[to], this.pieces);
    for (let j = from; j <= to; j++) {
      this.start[at + j - from] = old.start[j] + shift;
      this.end[at + j - from] = old.end[j] + shift;
    }
    this.pos += old.end[to] - old.start[from];
  }

  finish(tail: Buffer): Buffer[] {
    this.push(tail);
    return this.pieces;
  }

  private separate(j: number): void {
    if (j > 0) this.push(COMMA_NL);
  }

  private push(b: Buffer): void {
    this.pieces.push(b);
    this.pos += b.length;
  }
}

/**
 * The file's bytes before the first cell entry ("…\"cells\": [\n") and after the last ("\n ]…}\n");
 * undefined for a notebook without cells (nothing to lay out).
 */
function frameOf(nb: Notebook): { head: Buffer; tail: Buffer } | undefined {
  if (!Array.isArray(nb.cells) || nb.cells.length === 0) return undefined;
  const keys = Object.keys(nb).filter((k) => nb[k] !== undefined).sort(compareKeys);
  const head: string[] = ['{\n'];
  let tail: string[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const out = tail ?? head;
    out.push(' ', JSON.stringify(k), ': ');
    if (k === 'cells') {
      out.push('[\n');
      tail = ['\n ]'];
    } else {
      writeValue(nb[k], ' ', out);
    }
    (tail ?? head).push(i < keys.length - 1 ? ',\n' : '\n');
  }
  tail!.push('}\n');
  return { head: Buffer.from(head.join(''), 'utf8'), tail: Buffer.from(tail!.join(''), 'utf8') };
}

function* serializeSteps(nb: Notebook): Generator<void, Buffer[], void> {
  const frame = frameOf(nb);
  if (frame === undefined) {
    // No cells: the notebook is a small object, written in one go as nbformat writes it.
    const out: string[] = [];
    writeValue(nb, '', out);
    out.push('\n');
    return [Buffer.from(out.join(''), 'utf8')];
  }
  const file = new Assembly(frame.head, nb.cells.length);
  for (let j = 0; j < nb.cells.length; j++) {
    file.entry(j, cellBytes(nb.cells[j]));
    yield;
  }
  const pieces = file.finish(frame.tail);
  if (file.size > MAX_LAYOUT_BYTES) return pieces;
  // One buffer, kept as the layout the next edits' files are cut from (a full write is the first
  // after a read, or one in many edits: this copy is not made per edit).
  const whole = [Buffer.concat(pieces, file.size)];
  keepLayout(nb, whole, file.start, file.end);
  return whole;
}

const INDENT2 = Buffer.from('  ');
const COMMA_NL = Buffer.from(',\n');

// Cells are treated as immutable (edits replace the cell object), so a cell's bytes can be cached:
// after an edit only the changed cells are serialized again. Key: the cell object.
const cellCache = new WeakMap<object, Buffer>();
// A cell's bytes in the file it was read from (parseNotebookBytes), until the serializer has
// compared them with its own output for the cell. A hidden property, not a WeakMap: a million-entry
// WeakMap makes every full garbage collection walk its entries in one pause. Not enumerable, so
// a copy of the cell ({...cell}, an edit) does not carry it, and JSON never sees it. Set by
// nbformatParse.ts.
const FILE_BYTES = Symbol('fileBytes');
export const fileSlices = {
  set(cell: object, bytes: Buffer): void {
    Object.defineProperty(cell, FILE_BYTES, { value: bytes, writable: true, enumerable: false, configurable: true });
  },
  get(cell: object): Buffer | undefined {
    return (cell as { [FILE_BYTES]?: Buffer })[FILE_BYTES];
  },
  delete(cell: object): void {
    // Cleared, not deleted: deleting a property sends the object to slow (dictionary) mode.
    if (Object.prototype.hasOwnProperty.call(cell, FILE_BYTES)) (cell as { [FILE_BYTES]?: Buffer })[FILE_BYTES] = undefined;
  },
};
// Encoding target for that comparison, so an adopted cell costs no allocation of its own.
let scratch = Buffer.allocUnsafe(64 * 1024);

/** A cell's serialized bytes (cached); nbformatParse.ts compares the first cell with its file slice. */
export function cellBytes(cell: Cell): Buffer {
  let bytes = cellCache.get(cell);
  if (bytes === undefined) {
    const parts: string[] = [];
    writeValue(cell, '  ', parts);
    const text = parts.join('');
    const inFile = fileSlices.get(cell);
    if (inFile !== undefined) {
      fileSlices.delete(cell);
      const size = Buffer.byteLength(text, 'utf8');
      if (size === inFile.length) {
        if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
        scratch.write(text, 0, 'utf8');
        if (inFile.equals(scratch.subarray(0, size))) bytes = inFile;
      }
      // A one-off large cell should not pin a large scratch buffer.
      if (scratch.length > 4 * 1024 * 1024) scratch = Buffer.allocUnsafe(64 * 1024);
    }
    bytes ??= Buffer.from(text, 'utf8');
    cellCache.set(cell, bytes);
  }
  return bytes;
}

function writeValue(v: unknown, indent: string, out: string[]): void {
  if (v === null || v === undefined) {
    out.push('null');
  } else if (typeof v === 'string') {
    out.push(JSON.stringify(v));
  } else if (typeof v === 'number') {
    out.push(formatNumber(v));
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push('[]');
      return;
    }
    const inner = indent + ' ';
    out.push('[\n');
    for (let i = 0; i < v.length; i++) {
      out.push(inner);
      writeValue(v[i], inner, out);
      out.push(i < v.length - 1 ? ',\n' : '\n');
    }
    out.push(indent, ']');
  } else if (typeof v === 'object') {
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort(compareKeys);
    if (keys.length === 0) {
      out.push('{}');
      return;
    }
    const inner = indent + ' ';
    out.push('{\n');
    keys.forEach((k, i) => {
      out.push(inner, JSON.stringify(k), ': ');
      writeValue((v as Record<string, unknown>)[k], inner, out);
      out.push(i < keys.length - 1 ? ',\n' : '\n');
    });
    out.push(indent, '}');
  } else {
    out.push('null');
  }
}

function compareKeys(a: string, b: string): number {
  // Python compares code points; for keys outside the BMP UTF-16 order differs, which no real
  // notebook key hits. Plain < keeps this fast.
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  // Python prints integral floats with ".0"; JSON has lost that distinction, and nbformat numbers
  // in practice are ints (execution_count, nbformat) — keep JavaScript's shortest form.
  return JSON.stringify(n);
}
