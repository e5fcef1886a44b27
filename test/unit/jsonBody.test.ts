// The streaming body check (src/server/jsonBody.ts) must say "valid" exactly when JSON.parse does,
// and refuse invalid UTF-8 as Python's json does; checked on hand-written edge cases and on
// thousands of random mutations of real JSON-RPC bodies, each fed in random-sized chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { JsonSyntaxCheck, readJson } from '../../src/server/jsonBody';

function verdict(text: string, cuts: number[] = []): boolean {
  const c = new JsonSyntaxCheck();
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    if (c.feed(text.slice(at, cut))) return false;
    at = cut;
  }
  return c.end() === undefined;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

test('edge cases agree with JSON.parse', () => {
  const cases = [
    '{}', '[]', '0', '-0', '1.5e+3', '1E9', '"x"', 'true', 'false', 'null', ' {"a" : [1, 2, {"b": null}] } ',
    '"\\u00e9\\n\\"\\\\\\/"', '[1,]', '{"a":1,}', '{,}', '01', '1.', '.5', '-', '1e', '1e+', '+1', '"\\x"', '"\\u12G4"',
    '"a\nb"', '{"a" 1}', '{1:2}', '[1 2]', 'tru', 'nul', 'truee', '{} {}', '', '   ', '\ufeff{}', '[', '{"a":', '"abc',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"s":"é😀"}}}', 'NaN', 'Infinity', '[-]', '--1',
  ];
  for (const t of cases) assert.equal(verdict(t), parses(t), JSON.stringify(t));
});

test('random mutations of real bodies in random chunks agree with JSON.parse', () => {
  const nb = readFileSync(path.join(__dirname, '..', 'fixtures', 'analysis.ipynb'), 'utf8');
  const seeds = [nb, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'write_notebook', arguments: { path: 'a.ipynb', content: JSON.parse(nb) } } })];
  let rnd = 12345;
  const next = (n: number) => ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff), rnd % n);
  const alphabet = '{}[]":,\\-+.0123456789eEtrufalsn \n\tx\u00e9';
  let invalid = 0;
  for (let i = 0; i < 1500; i++) {
    let t = seeds[i % 2];
    if (i % 4 === 0) t = t.slice(0, 200 + next(400));
    for (let k = 0, n = next(4); k < n; k++) {
      const at = next(t.length);
      const op = next(3);
      const ch = alphabet[next(alphabet.length)];
      t = op === 0 ? t.slice(0, at) + ch + t.slice(at) : op === 1 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + ch + t.slice(at + 1);
    }
    const cuts = [next(t.length), next(t.length)].sort((x, y) => x - y);
    const expected = parses(t);
    if (!expected) invalid++;
    assert.equal(verdict(t, cuts), expected, `mutation ${i}: ${JSON.stringify(t.slice(0, 300))}`);
  }
  assert.ok(invalid > 250, `enough invalid cases were tried (${invalid})`);
});

async function* chunks(...parts: Buffer[]) {
  for (const p of parts) yield p;
}

test('readJson: a multi-byte character split across chunks is kept; invalid UTF-8 and oversize are refused', async () => {
  const body = Buffer.from('{"s":"é😀"}');
  const ok = await readJson(chunks(body.subarray(0, 7), body.subarray(7, 9), body.subarray(9)), 1000);
  assert.deepEqual(ok, { ok: true, value: { s: 'é😀' } });
  const bad = await readJson(chunks(Buffer.from('{"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')), 1000);
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.message : '', /not valid UTF-8/);
  const big = await readJson(chunks(Buffer.from('["'), Buffer.alloc(2000, 0x61), Buffer.from('"]')), 1000);
  assert.equal(!big.ok && big.status, 413);
});

test('readJson stops reading at the first bad byte (it does not wait for the rest)', async () => {
  let pulled = 0;
  async function* endless() {
    for (;;) {
      pulled++;
      yield Buffer.from(pulled === 1 ? '{"a": 1}}' : ' '.repeat(1000));
    }
  }
  const r = await readJson(endless(), 1e9);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /after the end of the JSON value at character 8/);
  assert.equal(pulled, 1);
});
