/**
 * Parses .ipynb bytes cell by cell, without ever holding the whole file as one string.
 *
 * Why: `JSON.parse(readFile(…, 'utf8'))` holds the file three times at once (the bytes, a string
 * of the whole file, the parsed cells), and the first write then encoded every cell again: a
 * 50 MB notebook peaked at ≈ 4.6× its size. Here the file's bytes are scanned for the top-level
 * `cells` list, each cell is parsed from its own small slice, and each cell keeps a view of its
 * bytes, which the serializer adopts as the cell's cached bytes once it has checked they are
 * exactly what it would write (nbformat's canonical layout, which Jupyter and we write). The file's
 * buffer then is the cache, and nothing is encoded twice.
 *
 * The scan only finds the structure; every byte is still parsed by JSON.parse (the top level with
 * the cell list left out, and each cell), so what is accepted and how it reads is exactly what
 * JSON.parse of the whole text gives. Anything unusual (no `cells` list, a cell that is not an
 * object, a duplicate `cells` key, a syntax error) returns undefined and the caller parses the
 * whole text as before, which also gives the usual error message with its position.
 */

import { runSync } from './turns';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

export interface ParsedCells {
  /** The top-level object with its cells, as JSON.parse of the whole text would give it. */
  value: Record<string, unknown>;
  /** Each cell's bytes in the file (views of the buffer, in order). */
  slices: Buffer[];
}

/** JSON's whitespace only (JSON.parse accepts no other). */
function skipWs(buf: Buffer, i: number): number {
  while (i < buf.length) {
    const c = buf[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else break;
  }
  return i;
}

/** `i` at an opening quote; returns the index after the closing one, or -1. */
function skipString(buf: Buffer, i: number): number {
  let j = i + 1;
  for (;;) {
    // indexOf is memchr: strings (sources, base64 images) are most of a notebook's bytes.
    const q = buf.indexOf(QUOTE, j);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > i && buf[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** `i` at '{' or '['; returns the index after the matching close, or -1. */
function skipContainer(buf: Buffer, i: number): number {
  let depth = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c === QUOTE) {
      i = skipString(buf, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return -1;
    }
    i++;
  }
  return -1;
}

/** Any value at `i`; returns the index after it, or -1. Scalars end at the next delimiter. */
function skipValue(buf: Buffer, i: number): number {
  const c = buf[i];
  if (c === QUOTE) return skipString(buf, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipContainer(buf, i);
  while (i < buf.length) {
    const d = buf[i];
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    i++;
  }
  return i;
}

/**
 * Splits a notebook file into its top level and its cells, each parsed with JSON.parse. Returns
 * undefined when the layout is anything but `{ …, "cells": [ {…}, … ], … }` or does not parse;
 * the caller then parses the whole text.
 */
export function parseCellsFromBytes(buf: Buffer): ParsedCells | undefined {
  return runSync(scanSteps(buf));
}

/**
 * The same as parseCellsFromBytes, as steps (one per cell) that a driver can spread over turns of
 * the event loop (turns.ts): a million-cell file is never parsed in one blocking stretch.
 */
export function* scanSteps(buf: Buffer): Generator<void, ParsedCells | undefined, void> {
  try {
    return yield* scan(buf);
  } catch {
    return undefined;
  }
}

function* scan(buf: Buffer): Generator<void, ParsedCells | undefined, void> {
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  let i = skipWs(buf, start);
  if (buf[i] !== OPEN_BRACE) return undefined;
  i = skipWs(buf, i + 1);
  let cellsAt: { open: number; close: number; slices: Buffer[]; cells: unknown[] } | undefined;
  if (buf[i] === CLOSE_BRACE) return undefined;
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = skipString(buf, i);
    if (keyEnd < 0) return undefined;
    // The top level has a handful of keys: decoding each one also catches an escaped "cells".
    const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
    i = skipWs(buf, keyEnd);
    if (buf[i] !== COLON) return undefined;
    i = skipWs(buf, i + 1);
    if (key === 'cells') {
      if (cellsAt || buf[i] !== OPEN_BRACKET) return undefined; // duplicate key or not a list
      const open = i;
      const slices: Buffer[] = [];
      const cells: unknown[] = [];
      i = skipWs(buf, i + 1);
      if (buf[i] !== CLOSE_BRACKET) {
        for (;;) {
          if (buf[i] !== OPEN_BRACE) return undefined;
          const end = skipContainer(buf, i);
          if (end < 0) return undefined;
          const slice = buf.subarray(i, end);
          slices.push(slice);
          cells.push(JSON.parse(slice.toString('utf8')));
          yield;
          i = skipWs(buf, end);
          if (buf[i] === COMMA) i = skipWs(buf, i + 1);
          else if (buf[i] === CLOSE_BRACKET) break;
          else return undefined;
        }
      }
      cellsAt = { open, close: i, slices, cells };
      i++;
    } else {
      const end = skipValue(buf, i);
      if (end < 0) return undefined;
      i = end;
    }
    i = skipWs(buf, i);
    if (buf[i] === COMMA) i = skipWs(buf, i + 1);
    else if (buf[i] === CLOSE_BRACE) break;
    else return undefined;
  }
  if (!cellsAt) return undefined;
  // The top level with `null` where the list was; JSON.parse checks everything outside the cells
  // (including what follows the closing brace).
  const top = JSON.parse(buf.toString('utf8', start, cellsAt.open) + 'null' + buf.toString('utf8', cellsAt.close + 1)) as unknown;
  if (!top || typeof top !== 'object' || Array.isArray(top) || (top as Record<string, unknown>).cells !== null) return undefined;
  const value = top as Record<string, unknown>;
  value.cells = cellsAt.cells;
  return { value, slices: cellsAt.slices };
}
