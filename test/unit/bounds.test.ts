// The small pieces issue #18's fixes rest on, each against the behaviour it replaces: the
// environment of processes we start, one-line logs, redaction inside results, text pages that are
// never joined whole, task ttls, kernel ids, image headers, REST answers over the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import * as jpeg from 'jpeg-js';
import { childEnv } from '../../src/kernels/childProcess';
import { escapeControl, logLine, redactDeep, registerSecret } from '../../src/util/log';
import { PiecedText, matchingLines } from '../../src/tools/outputText';
import { runSync } from '../../src/notebooks/turns';
import { clampTtl, MAX_TASK_TTL_MS, RunTaskStore } from '../../src/runs/tasks';
import { checkKernelId, boundedFetch } from '../../src/kernels/wire';
import { fitImage, imageSize, tooLargeToFit } from '../../src/kernels/imageFit';
import { realPng } from '../fixtures/generate-large';

test('childEnv: our variables and any value holding a registered secret are left out; the rest is kept', () => {
  registerSecret('s3cret-token-value');
  const env = childEnv(
    { EXTRA: '1' },
    {
      PATH: '/usr/bin',
      HOME: '/home/u',
      JUPYTER_MCP_AUTH_TOKEN: 'x',
      JUPYTER_MCP_AUTH_TOKEN_FILE: '/run/secrets/t',
      JUPYTER_MCP_VSCODE_TOKEN: 'y',
      JUPYTER_TOKEN: 'z',
      JUPYTER_TOKEN_FILE: '/t',
      MY_COPY: 'prefix-s3cret-token-value',
      JUPYTER_PATH: '/p',
    },
  );
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/u', JUPYTER_PATH: '/p', EXTRA: '1' });
});

test('escapeControl / logLine: one line, escapes visible, secrets hidden', () => {
  assert.equal(escapeControl('a\nb\rc\td\u001b[2J\u0007\u2028e\u0085'), 'a\\nb\\rc\\td\\x1b[2J\\x07\\u2028e\\x85');
  registerSecret('line-secret-1234');
  assert.equal(logLine('tool x.ipynb\nfake line line-secret-1234'), 'tool x.ipynb\\nfake line ***');
  assert.equal(escapeControl('plain é 漢字'), 'plain é 漢字');
});

test('redactDeep: registered secrets in strings and keys, "__proto__" kept as a key; untouched values are returned as is', () => {
  registerSecret('deep-secret-5678');
  const clean = { a: ['x', { b: 1 }] };
  assert.equal(redactDeep(clean), clean);
  const v = JSON.parse('{"__proto__": {"t": "deep-secret-5678"}, "list": ["a deep-secret-5678 b"], "deep-secret-5678": 1, "n": 2}');
  const r = redactDeep(v) as Record<string, unknown>;
  assert.deepEqual(Object.keys(r), ['__proto__', 'list', '***', 'n']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(r, '__proto__')?.value, { t: '***' });
  assert.deepEqual(r.list, ['a *** b']);
});

test('PiecedText pages and matchingLines agree with the joined string', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  for (let round = 0; round < 50; round++) {
    const pieces = Array.from({ length: rnd(20) }, () => 'ab\ncd\n\nefg'.slice(rnd(5), 5 + rnd(7)));
    const whole = pieces.join('');
    const view = new PiecedText(pieces);
    assert.equal(view.length, whole.length);
    for (let k = 0; k < 20; k++) {
      const a = rnd(whole.length + 2);
      const b = rnd(whole.length + 3);
      assert.equal(view.slice(a, b), whole.slice(a, b), `${JSON.stringify(pieces)} [${a}, ${b})`);
    }
    const found: Array<[number, string]> = [];
    runSync(matchingLines(pieces, 'c', (s) => s, (n, line) => (found.push([n, line]), true)));
    const expected = whole.split('\n').flatMap((line, n) => (line.includes('c') ? [[n, line] as [number, string]] : []));
    assert.deepEqual(found, expected, JSON.stringify(pieces));
  }
});

test('task ttl: 0, negative, NaN and absent get the default; the rest is kept within a minute and a day', () => {
  for (const t of [0, -1, NaN, undefined, null, Infinity]) assert.equal(clampTtl(t as number), 30 * 60_000, String(t));
  assert.equal(clampTtl(1), 60_000);
  assert.equal(clampTtl(5 * 60_000), 5 * 60_000);
  assert.equal(clampTtl(2 ** 31 + 5), MAX_TASK_TTL_MS);
  assert.ok(MAX_TASK_TTL_MS < 2 ** 31 - 1);
});

test('tasks: past 100 in a session the oldest finished go; when all are working a new one is refused with what to do', async () => {
  const store = new RunTaskStore();
  const req = {} as never;
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) ids.push((await store.createTask({ ttl: 0 }, 1, req, 's1')).taskId);
  await assert.rejects(store.createTask({}, 1, req, 's1'), /Too many tasks still working \(100 in this session\).*tasks\/cancel/);
  // Another session is not affected.
  await store.createTask({}, 1, req, 's2');
  await store.storeTaskResult(ids[3], 'completed', { content: [] });
  const fresh = await store.createTask({}, 1, req, 's1');
  assert.equal(store.count('s1'), 100);
  assert.equal(await store.getTask(ids[3]), null, 'the finished task was not the one forgotten');
  assert.ok(await store.getTask(fresh.taskId));
  store.dropSession('s1');
  assert.equal(store.count('s1'), 0);
  assert.equal(store.count(), 1);
  store.dropSession('s2');
});

test('kernel ids: UUIDs and ordinary tokens pass; ".", "..", slashes and the rest are refused with the next step', () => {
  for (const ok of ['3f1c9d2e-8b7a-4c1d-9e2f-0a1b2c3d4e5f', 'kernel_1', 'a.b']) assert.doesNotThrow(() => checkKernelId(ok));
  for (const bad of ['.', '..', '.hidden', 'a/b', '../x', '', 'a b', 'a?b', 'a%2F', 'x'.repeat(201)]) {
    assert.throws(() => checkKernelId(bad), /is not a kernel id.*list_kernels/, bad);
  }
  assert.throws(() => checkKernelId('editor:nb.ipynb'), /Kernel not found.*open in the editor/);
});

test('image headers: PNG and JPEG sizes without decoding; over 8 megapixels nothing is decoded; fitted images are kept', () => {
  const jpg = Buffer.from(jpeg.encode({ data: new Uint8Array(40 * 30 * 4).fill(200), width: 40, height: 30 }, 80).data);
  assert.deepEqual(imageSize(jpg, 'image/jpeg'), { width: 40, height: 30 });
  // A PNG header announcing 8000×5000 (the rest is missing: it is never decoded).
  const head = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(8000, 16);
  head.writeUInt32BE(5000, 20);
  assert.deepEqual(tooLargeToFit(head.toString('base64'), 'image/png'), { width: 8000, height: 5000 });
  assert.equal(fitImage(head.toString('base64'), 'image/png', 1000), undefined);
  const png = realPng();
  const first = fitImage(png, 'image/png', 20_000);
  assert.ok(first);
  assert.equal(fitImage(png, 'image/png', 20_000), first, 'the second fit was computed again');
});

test('boundedFetch: an answer over the cap is refused (announced or not); a stalled body times out', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/announced') return void res.writeHead(200, { 'content-length': String(20 * 1024 * 1024) }).end(Buffer.alloc(20 * 1024 * 1024));
    if (req.url === '/chunked') {
      res.writeHead(200);
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let n = 0;
      const pump = () => {
        while (n++ < 20) if (!res.write(chunk)) return void res.once('drain', pump);
        res.end();
      };
      return pump();
    }
    if (req.url === '/stall') return void res.writeHead(200).write('{"partial": ');
    if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const f = boundedFetch({ timeoutMs: 60_000, maxBodyBytes: 8 * 1024 * 1024 });
  try {
    assert.deepEqual(await (await f(`${base}/ok`)).json(), { ok: true });
    // What a redirect did is kept (the probe tells a hub's redirect from a Jupyter server by it).
    const moved = await f(`${base}/moved`);
    assert.equal(moved.redirected, true);
    assert.equal(moved.url, `${base}/ok`);
    await assert.rejects(f(`${base}/announced`), /larger than 8 MB/);
    await assert.rejects(f(`${base}/chunked`), /larger than 8 MB/);
    const t0 = Date.now();
    await assert.rejects(boundedFetch({ timeoutMs: 500 })(`${base}/stall`), /no answer within 0\.5 s \(timed out\)/);
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
