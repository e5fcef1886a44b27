// Reading notebooks: validating the shape the tools rely on, parsing .ipynb text and bytes (in
// time slices, cell by cell, the bytes read kept as the write cache), UTF-8 and JSON errors that say
// where without quoting the file. Public face: nbformat.ts.
import { isUtf8 } from 'buffer';
import { Worker } from 'worker_threads';
import { scanSteps } from './cellSlices';
import { runSliced, runSync } from './turns';
import { CELL_TYPES, NotebookFormatError, type Cell, type CellType, type Notebook, type Output } from './nbformatTypes';
import { cellBytes, fileSlices } from './nbformatWrite';

const CELL_ID_RE = /^[a-zA-Z0-9-_]{1,64}$/;

/** Checks the shape the tools rely on; says where the problem is. Does not modify the notebook. */
export function validateNotebook(value: unknown, where = 'notebook'): Notebook {
  return runSync(validateSteps(value, where));
}

/** validateNotebook in time slices (turns.ts): a million cells do not hold up other clients. */
export function validateNotebookSliced(value: unknown, where = 'notebook'): Promise<Notebook> {
  return runSliced(validateSteps(value, where));
}

function* validateSteps(value: unknown, where: string): Generator<void, Notebook, void> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new NotebookFormatError(where, 'expected a JSON object with "cells", "metadata", "nbformat"');
  }
  const nb = value as Record<string, unknown>;
  if (nb.nbformat !== 4) {
    throw new NotebookFormatError(
      where,
      `nbformat ${JSON.stringify(nb.nbformat)} is not supported, only nbformat 4 (convert it with "jupyter nbconvert --to notebook")`,
    );
  }
  if (typeof nb.nbformat_minor !== 'number') throw new NotebookFormatError(where, '"nbformat_minor" must be a number');
  if (!nb.metadata || typeof nb.metadata !== 'object' || Array.isArray(nb.metadata)) {
    throw new NotebookFormatError(where, '"metadata" must be an object');
  }
  if (!Array.isArray(nb.cells)) throw new NotebookFormatError(where, '"cells" must be a list');
  const ids = new Set<string>();
  for (let i = 0; i < nb.cells.length; i++) {
    validateCell(nb.cells[i], `${where} cell ${i}`, ids);
    yield;
  }
  return value as Notebook;
}

export function validateCell(value: unknown, where: string, ids?: Set<string>): Cell {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new NotebookFormatError(where, 'a cell must be an object');
  const c = value as Record<string, unknown>;
  if (!CELL_TYPES.includes(c.cell_type as CellType)) {
    throw new NotebookFormatError(where, `unknown cell_type ${JSON.stringify(c.cell_type)} (expected code, markdown or raw)`);
  }
  if (typeof c.source !== 'string' && !(Array.isArray(c.source) && c.source.every((s) => typeof s === 'string'))) {
    throw new NotebookFormatError(where, '"source" must be a string or a list of strings');
  }
  if (c.metadata !== undefined && (typeof c.metadata !== 'object' || c.metadata === null || Array.isArray(c.metadata))) {
    throw new NotebookFormatError(where, '"metadata" must be an object');
  }
  if (c.id !== undefined) {
    if (typeof c.id !== 'string' || !CELL_ID_RE.test(c.id)) throw new NotebookFormatError(where, `invalid cell id ${JSON.stringify(c.id)}`);
    if (ids) {
      if (ids.has(c.id)) throw new NotebookFormatError(where, `duplicate cell id "${c.id}"`);
      ids.add(c.id);
    }
  }
  if (c.cell_type === 'code') {
    if (c.outputs !== undefined && !Array.isArray(c.outputs)) throw new NotebookFormatError(where, '"outputs" must be a list');
    if (Array.isArray(c.outputs)) {
      c.outputs.forEach((o, j) => {
        if (!o || typeof o !== 'object' || typeof (o as Output).output_type !== 'string') {
          throw new NotebookFormatError(`${where} output ${j}`, 'an output must be an object with "output_type"');
        }
      });
    }
  }
  return value as Cell;
}

/** Parses .ipynb text. Errors name the file and, for JSON errors, the position. */
export function parseNotebook(text: string, where: string): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new NotebookFormatError(where, `not valid JSON (${jsonProblem(e as Error, text)})`);
  }
  return validateNotebook(value, where);
}

/**
 * JSON.parse's complaint without the text it quotes: V8 writes `Unexpected token 'c', "[core]…"
 * is not valid JSON`, and the file may be anything (a key file reached by mistake); its bytes must
 * not travel to the model or the log. The position is kept, as a line and column.
 */
function jsonProblem(e: Error, text: string): string {
  const msg = e.message;
  const at = /^(.*?) in JSON at position (\d+)/.exec(msg) ?? /^(Unexpected non-whitespace character after JSON) at position (\d+)/.exec(msg);
  if (at) return `${at[1]} at ${lineColumn(text, Number(at[2]))}`;
  if (/^Unexpected end of JSON input/.test(msg)) return 'the text ends before the JSON does (truncated?)';
  if (/^Unexpected token/.test(msg)) return 'it does not start like JSON, or contains a character JSON does not allow';
  return 'unexpected content';
}

function lineColumn(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${pos - lineStart + 1}`;
}

/**
 * Parses a notebook file's bytes. Cells are parsed one by one from their slices of the buffer (no
 * whole-file string), and when the file is laid out as nbformat writes it, each cell's bytes in the
 * file become its cached serialized bytes: the buffer read from disk is then the serializer's cache,
 * and the first write encodes nothing again. Same result and same errors as parseNotebook(), and
 * bytes that are not UTF-8 are refused as Python's nbformat refuses them.
 */
export function parseNotebookBytes(buf: Buffer, where: string): Notebook {
  const nb = runSync(parseBytesSteps(buf, where)) ?? parseNotebook(buf.toString('utf8'), where);
  readFrom.set(nb, buf);
  return nb;
}

/**
 * The bytes a notebook object was parsed from (undefined for one built or edited in memory). Kept
 * so that a checkpoint holds the file exactly as it was, and a notebook restored from one is
 * written back byte for byte, in whatever layout the file had. An edit makes a new notebook
 * object, which has none. For a file in nbformat's layout the cells' cached bytes are views of
 * this buffer anyway, so keeping it costs nothing more.
 */
export function fileBytes(nb: Readonly<Notebook>): Buffer | undefined {
  return readFrom.get(nb);
}

const readFrom = new WeakMap<object, Buffer>();

/**
 * parseNotebookBytes in time slices (turns.ts): a million-cell file is parsed without blocking the
 * event loop for more than a slice, so other clients are served meanwhile.
 */
export async function parseNotebookBytesSliced(buf: Buffer, where: string): Promise<Notebook> {
  const nb = await parseWholeSliced(buf, where);
  readFrom.set(nb, buf);
  return nb;
}

async function parseWholeSliced(buf: Buffer, where: string): Promise<Notebook> {
  const nb = await runSliced(parseBytesSteps(buf, where));
  if (nb) return nb;
  // Not laid out as a notebook: almost always not JSON at all (truncated, corrupted). The
  // whole-text parse gives the error; for a large file it runs on another thread, so a corrupted
  // 90 MB notebook does not stop the server for the seconds JSON.parse takes.
  if (buf.length >= OFF_THREAD_BYTES) {
    const problem = await jsonProblemOffThread(buf);
    if (problem !== undefined) throw new NotebookFormatError(where, `not valid JSON (${problem})`);
  }
  // Valid JSON in a layout the cell scanner does not take (a duplicate "cells" key…): parse here.
  return parseNotebook(buf.toString('utf8'), where);
}

/** Above this size, a file that is not a notebook's layout is parsed on a worker thread. */
const OFF_THREAD_BYTES = 4 * 1024 * 1024;

/**
 * JSON.parse on a worker thread: undefined when the text is valid JSON, else what is wrong and
 * where (jsonProblem, never quoting the text). A worker that cannot run or dies (out of memory)
 * gives a plain answer rather than none.
 */
function jsonProblemOffThread(buf: Buffer): Promise<string | undefined> {
  // The functions travel as source; they use nothing outside themselves.
  const code = `${lineColumn}\n${jsonProblem}\n
const { parentPort, workerData: u8 } = require('worker_threads');
let text = Buffer.from(u8.buffer, u8.byteOffset, u8.length).toString('utf8');
if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
try { JSON.parse(text); parentPort.postMessage(null); } catch (e) { parentPort.postMessage(${jsonProblem.name}(e, text)); }`;
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(code, { eval: true, workerData: buf });
    } catch {
      return resolve('it could not be checked');
    }
    let answered = false;
    worker.once('message', (m: string | null) => {
      answered = true;
      resolve(m ?? undefined);
      void worker.terminate();
    });
    worker.once('error', () => resolve('it could not be parsed'));
    worker.once('exit', () => {
      if (!answered) resolve('it could not be parsed');
    });
  });
}

/** undefined: the bytes are UTF-8 but not a `{…, "cells": [{…}…]…}` layout; parse the whole text. */
function* parseBytesSteps(buf: Buffer, where: string): Generator<void, Notebook | undefined, void> {
  // Decoding would turn each bad byte into U+FFFD, and the next write would save that: a change to
  // cells nobody edited. Python's nbformat refuses such a file (UnicodeDecodeError); so do we.
  if (!isUtf8(buf)) throw notUtf8(buf, where);
  const parsed = yield* scanSteps(buf);
  if (!parsed) return undefined;
  const nb = yield* validateSteps(parsed.value, where);
  // Offer the file's bytes only if the first cell shows the canonical layout: every offered slice
  // keeps the whole buffer alive, which is only worth it when the cells adopt them. Each cell is
  // still compared before its slice is used (cellBytes).
  if (nb.cells.length > 0) {
    fileSlices.set(nb.cells[0], parsed.slices[0]);
    if (cellBytes(nb.cells[0]) === parsed.slices[0]) {
      for (let i = 1; i < nb.cells.length; i++) {
        fileSlices.set(nb.cells[i], parsed.slices[i]);
        if ((i & 255) === 0) yield;
      }
    }
  }
  return nb;
}

/** The error for bytes that are not UTF-8: where the first bad byte is, as Python reports it. */
function notUtf8(buf: Buffer, where: string): NotebookFormatError {
  const at = firstInvalidUtf8(buf);
  let line = 1;
  for (let i = buf.indexOf(0x0a); i >= 0 && i < at; i = buf.indexOf(0x0a, i + 1)) line++;
  const byte = at < buf.length ? `byte 0x${buf[at].toString(16).padStart(2, '0')}` : 'an incomplete character';
  return new NotebookFormatError(
    where,
    `not valid UTF-8 (${byte} at offset ${at}, line ${line}); Jupyter refuses such a file too. Nothing was changed: re-save it as UTF-8 (in VS Code: "Reopen with Encoding", then "Save with Encoding" UTF-8) and try again.`,
  );
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: the sequence length and the allowed range of the second byte (no overlong forms,
    // no surrogates, nothing above U+10FFFF), as the Unicode standard's table 3-7 gives them.
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return i;
}
