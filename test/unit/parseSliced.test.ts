// Parsing and serializing in time slices (src/notebooks/turns.ts): the sliced functions give
// exactly what the one-piece ones give (values, errors, adopted file bytes), they give the event
// loop back while they work, and two of them at once take turns. No timing is asserted: whether
// other work ran meanwhile is counted, not timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  emptyNotebook,
  makeCell,
  parseNotebookBytes,
  parseNotebookBytesSliced,
  serializeNotebook,
  serializeNotebookPieces,
  serializeNotebookPiecesSliced,
  validateNotebookSliced,
} from '../../src/notebooks/nbformat';
import { runSliced } from '../../src/notebooks/turns';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function manyCells(n: number): Buffer {
  const nb = emptyNotebook({ name: 'python3' });
  for (let i = 0; i < n; i++) nb.cells.push(makeCell(i % 2 ? 'code' : 'markdown', `cell ${i}\nline two`, { id: `id${i}` }));
  return Buffer.from(serializeNotebook(nb));
}

function outcome(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

async function outcomeAsync(f: () => Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await f());
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

test('sliced parse and serialize give what the one-piece ones give, for real notebooks and bad ones', async () => {
  const inputs: Array<[string, Buffer]> = ['analysis.ipynb', 'legacy-v44.ipynb', 'unicode.ipynb', 'truncated.ipynb', 'nbformat3.ipynb'].map((f) => [f, readFileSync(path.join(FIXTURES, f))]);
  inputs.push(['not-json', Buffer.from('API_TOKEN=sk-live-123\n')]);
  inputs.push(['latin1', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])]);
  inputs.push(['many', manyCells(3000)]);
  for (const [name, buf] of inputs) {
    assert.equal(await outcomeAsync(() => parseNotebookBytesSliced(buf, name)), outcome(() => parseNotebookBytes(buf, name)), name);
    if (outcome(() => parseNotebookBytes(buf, name)).startsWith('throws')) continue;
    const nb = await parseNotebookBytesSliced(buf, name);
    const pieces = await serializeNotebookPiecesSliced(nb);
    assert.ok(Buffer.concat(pieces).equals(Buffer.concat(serializeNotebookPieces(parseNotebookBytes(buf, name)))), `${name}: same bytes`);
  }
});

test('a large corrupted file gets the same error as a small one, without quoting it (parsed off the main thread)', async () => {
  const whole = manyCells(60_000); // ≈ 8 MB, above the off-thread threshold
  assert.ok(whole.length > 4 * 1024 * 1024, `${whole.length} bytes`);
  const truncated = whole.subarray(0, whole.length - 1000);
  const sync = outcome(() => parseNotebookBytes(truncated, 'big.ipynb'));
  assert.match(sync, /^throws Invalid notebook format: big\.ipynb: not valid JSON/);
  assert.equal(await outcomeAsync(() => parseNotebookBytesSliced(truncated, 'big.ipynb')), sync);
  // Garbage that V8 would quote: the message names a position, never the bytes.
  const garbage = Buffer.concat([Buffer.from('PASSWORD=hunter2 '), Buffer.alloc(5 * 1024 * 1024, 0x41)]);
  const err = await outcomeAsync(() => parseNotebookBytesSliced(garbage, 'garbage.ipynb'));
  assert.match(err, /^throws Invalid notebook format: garbage\.ipynb: not valid JSON/);
  assert.ok(!err.includes('PASSWORD') && !err.includes('hunter2') && !err.includes('AAAA'), err);
});

test('a large parse gives the event loop back while it works, and yields the same notebook', async () => {
  const buf = manyCells(40_000);
  let turns = 0;
  let on = true;
  const spin = () => {
    if (!on) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const nb = await parseNotebookBytesSliced(buf, 'many');
  const duringParse = turns;
  const pieces = await serializeNotebookPiecesSliced({ ...nb, cells: nb.cells.map((c) => ({ ...c })) });
  await validateNotebookSliced(nb);
  on = false;
  assert.equal(nb.cells.length, 40_000);
  assert.ok(Buffer.concat(pieces).equals(buf), 'serialized back to the same bytes');
  assert.ok(duringParse > 2, `other work ran only ${duringParse} times while 40,000 cells were parsed`);
});

test('two sliced computations at once take turns', async () => {
  const order: string[] = [];
  // A fixed amount of work per computation (not a wall-clock span, which a busy machine stretches).
  function* steps(name: string): Generator<void, string, void> {
    let x = 0;
    for (let n = 0; n < 1000; n++) {
      for (let k = 0; k < 10_000; k++) x += k % 7;
      if (n % 32 === 0 && order[order.length - 1] !== name) order.push(name);
      yield;
    }
    return x >= 0 ? name : '';
  }
  assert.deepEqual(await Promise.all([runSliced(steps('a'), 5), runSliced(steps('b'), 5)]), ['a', 'b']);
  // Each ran in several stretches, the other's in between: neither held the thread to the end.
  assert.ok(order.filter((x) => x === 'a').length >= 2 && order.filter((x) => x === 'b').length >= 2, order.join(''));
});
