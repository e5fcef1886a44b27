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
export function serializeNotebookPiecesSliced(nb: Notebook): Promise<Buffer[]> {
  return runSliced(serializeSteps(nb));
}

function* serializeSteps(nb: Notebook): Generator<void, Buffer[], void> {
  const pieces: Buffer[] = [];
  let head: string[] = ['{\n'];
  const flush = () => {
    pieces.push(Buffer.from(head.join(''), 'utf8'));
    head = [];
  };
  const keys = Object.keys(nb).filter((k) => nb[k] !== undefined).sort(compareKeys);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    head.push(' ', JSON.stringify(k), ': ');
    if (k === 'cells' && Array.isArray(nb.cells) && nb.cells.length > 0) {
      head.push('[\n');
      flush();
      const last = nb.cells.length - 1;
      for (let j = 0; j <= last; j++) {
        pieces.push(INDENT2, cellBytes(nb.cells[j]), j < last ? COMMA_NL : NL);
        yield;
      }
      head.push(' ]');
    } else {
      writeValue(nb[k], ' ', head);
    }
    head.push(i < keys.length - 1 ? ',\n' : '\n');
  }
  head.push('}\n');
  flush();
  return pieces;
}

const INDENT2 = Buffer.from('  ');
const COMMA_NL = Buffer.from(',\n');
const NL = Buffer.from('\n');

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
