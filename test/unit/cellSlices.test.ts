// Reading a notebook cell by cell from its bytes (src/notebooks/cellSlices.ts) must accept, refuse
// and read exactly what JSON.parse of the whole text does; and when the file is in nbformat's own
// layout, the serializer writes the cells' bytes straight from the buffer read from disk (checked
// against its own encoding of each cell first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseCellsFromBytes } from '../../src/notebooks/cellSlices';
import { parseNotebook, parseNotebookBytes, serializeNotebook, serializeNotebookPieces, makeCell } from '../../src/notebooks/nbformat';
import { applyEdits } from '../../src/notebooks/cells';
import { rng, writeLargeNotebook } from '../fixtures/generate-large';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** A buffer of its own (not a slice of Node's shared pool), so sharing can be asserted. */
function ownBuffer(content: string | Buffer): Buffer {
  const src = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const b = Buffer.alloc(src.length);
  src.copy(b);
  return b;
}

/** Outcome of a parse: the notebook, or the error message. */
function outcome(f: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function assertSameAsWholeParse(text: string | Buffer, label: string): void {
  const buf = ownBuffer(text);
  const whole = outcome(() => parseNotebook(buf.toString('utf8'), 'nb.ipynb'));
  const sliced = outcome(() => parseNotebookBytes(buf, 'nb.ipynb'));
  assert.deepEqual(sliced, whole, label);
}

const cell = (src: string) => ({ cell_type: 'code', execution_count: null, id: 'a1', metadata: {}, outputs: [], source: [src] });
const top = (cells: string) => `{"cells": ${cells}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`;

test('the fixtures read the same as JSON.parse of the whole text', () => {
  for (const name of ['analysis.ipynb', 'legacy-v44.ipynb', 'unicode.ipynb', 'nbformat3.ipynb', 'truncated.ipynb']) {
    assertSameAsWholeParse(readFileSync(path.join(FIXTURES, name)), name);
  }
});

test('awkward but valid layouts read the same; the cell list is found and split', () => {
  const cases: Array<[string, string, number]> = [
    ['compact, no whitespace', JSON.stringify(JSON.parse(top(`[${JSON.stringify(cell('x'))}]`))), 1],
    ['BOM and CRLF whitespace', '\ufeff\r\n' + top(`[\r\n\t${JSON.stringify(cell('x'))} ,\r\n ${JSON.stringify(cell('y')).replace('a1', 'b2')}\r\n]`) + '\r\n', 2],
    ['quotes, backslashes and brackets inside strings', top(`[${JSON.stringify(cell('s = "}]\\\\" + \'{[\' # \\\\'))}]`), 1],
    ['a string ending in an escaped backslash', top(`[${JSON.stringify(cell('\\\\'))}]`), 1],
    ['cells last, other keys first', `{"metadata": {"a": [1, {"b": "]"}]}, "nbformat": 4, "nbformat_minor": 5, "cells": [${JSON.stringify(cell('x'))}]}`, 1],
    ['empty list', top('[]'), 0],
    ['non-ASCII and astral characters', top(`[${JSON.stringify(cell('é ✓ 😀 \u2028'))}]`), 1],
  ];
  for (const [label, text, n] of cases) {
    const found = parseCellsFromBytes(ownBuffer(text));
    assert.ok(found, `${label}: split`);
    assert.equal(found.slices.length, n, label);
    assertSameAsWholeParse(text, label);
  }
});

test('anything unusual falls back to the whole parse, with its usual result or error', () => {
  const cases: Array<[string, string]> = [
    ['escaped "cells" key', `{"\\u0063ells": [${JSON.stringify(cell('x'))}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`],
    ['duplicate "cells" key (the last one wins in JSON.parse)', `{"cells": [${JSON.stringify(cell('x'))}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": []}`],
    ['cells is not a list', top('{}')],
    ['a cell that is not an object', top('[1, "two"]')],
    ['trailing comma in the list', top(`[${JSON.stringify(cell('x'))},]`)],
    ['trailing garbage after the object', top('[]') + ' x'],
    ['a raw newline inside a string', top(`[{"cell_type": "code", "source": "a\nb", "metadata": {}, "outputs": []}]`)],
    ['unterminated string', top(`[{"cell_type": "code", "source": "abc]`)],
    ['no cells key', '{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'],
    ['not an object', '[1, 2]'],
    ['empty file', ''],
  ];
  for (const [label, text] of cases) assertSameAsWholeParse(text, label);
  assert.equal(parseCellsFromBytes(ownBuffer(cases[1][1])), undefined, 'duplicate key is not split');
});

test('random corruptions of a real notebook read the same as the whole parse (seed 7)', () => {
  const base = readFileSync(path.join(FIXTURES, 'analysis.ipynb'));
  const rand = rng(7);
  const specials = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x0a, 0x61];
  for (let k = 0; k < 300; k++) {
    const b = ownBuffer(base);
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) b[Math.floor(rand() * b.length)] = specials[Math.floor(rand() * specials.length)];
    assertSameAsWholeParse(b, `corruption ${k}`);
  }
});

test("a file in nbformat's layout is written from the bytes read, the edited cell encoded afresh", () => {
  const file = path.join(tmpdir(), `jmcp-slices-${process.pid}.ipynb`);
  writeLargeNotebook(file, { cells: 60, seed: 3 });
  const buf = ownBuffer(readFileSync(file));
  rmSync(file);
  const edited = applyEdits(parseNotebookBytes(buf, 'big.ipynb'), [{ kind: 'insert', index: 10, cells: [makeCell('code', 'added = 1')] }]);
  const pieces = serializeNotebookPieces(edited);
  // A deep copy has no cached bytes: the serializer encodes every cell of it afresh.
  assert.equal(Buffer.concat(pieces).toString('utf8'), serializeNotebook(structuredClone(edited)));
  assert.deepEqual(structuredClone(edited.cells[0]), JSON.parse(buf.toString('utf8')).cells[0]);
});

test('a file in another layout (indent 2) is written in nbformat\'s layout and keeps no view of the buffer', () => {
  const text = JSON.stringify(JSON.parse(readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8')), null, 2);
  const buf = ownBuffer(text);
  const nb = parseNotebookBytes(buf, 'analysis.ipynb');
  const pieces = serializeNotebookPieces(nb);
  assert.equal(pieces.filter((p) => p.buffer === buf.buffer).length, 0);
  assert.equal(Buffer.concat(pieces).toString('utf8'), readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8'));
});

test('a cell changed after reading is not written from its stale bytes, even at the same length', () => {
  const buf = ownBuffer(readFileSync(path.join(FIXTURES, 'analysis.ipynb')));
  const nb = parseNotebookBytes(buf, 'analysis.ipynb');
  // Cells are meant to be immutable; should one be changed in place anyway, the comparison catches it.
  const src = nb.cells[1].source as string[];
  const sameLength = src[0].replace(/[a-z]/g, 'q');
  assert.notEqual(sameLength, src[0]);
  assert.equal(Buffer.byteLength(sameLength), Buffer.byteLength(src[0]));
  src[0] = sameLength;
  (nb.cells[2].source as string[])[0] = 'changed in place\n';
  const out = JSON.parse(Buffer.concat(serializeNotebookPieces(nb)).toString('utf8'));
  assert.equal(out.cells[1].source[0], sameLength);
  assert.equal(out.cells[2].source[0], 'changed in place\n');
});
