// Issue #18, items 2, 7 and 8: a hostile or broken Jupyter server (or whatever sits between us and
// it). The standalone server runs as a child process (its event loop and its life are its own)
// with --url pointing at a middle-man of ours (test/helpers/jupyterProxy.ts) in front of Debian's
// real jupyter_server: the middle-man forwards everything, and injects or replaces what a hostile
// party would. A well-behaved client pings meanwhile: the server must keep serving it.
// - Item 2: a 16-byte binary frame, then a text frame that is not a Jupyter message, on the kernel
//   websocket during a run and while idle: the process lives, the run gets a clear error (or its
//   result), the kernel keeps its state and the next call works.
// - Item 7: a 150 MB /api/kernels answer is refused at the size cap; a server that accepts and
//   never answers gets a time-out instead of hanging the call.
// - Item 8: kernel ids ".", "..", "a/b" never reach a URL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient, startServer, type TestServer } from '../helpers/mcp';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { startJupyterServer, type TestJupyter } from '../helpers/jupyter';
import { startJupyterProxy, type JupyterProxy } from '../helpers/jupyterProxy';
import { raw, rssKb, sleep, startCli, tempDir, type Cli } from '../helpers/reliability';
import { checkPings, startPinger } from '../helpers/pings';

describe('a hostile Jupyter server behind --url (issue #18 items 2, 7, 8)', () => {
  let ws: { root: string; cleanup(): void };
  let jupyter: TestJupyter;
  let proxy: JupyterProxy;
  let cli: Cli;
  let client: Client;

  before(async () => {
    ws = tempDir('jmcp-hostile-');
    jupyter = await startJupyterServer();
    proxy = await startJupyterProxy(jupyter.url);
    cli = await startCli(['--port', '0', '--root', ws.root, '--url', proxy.url, '--log-level', 'debug'], { env: { JUPYTER_TOKEN: jupyter.token } });
    client = await connectClient(cli.url);
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await cli?.stop();
    await proxy?.close();
    await jupyter?.stop();
    ws?.cleanup();
  });

  test('item 2: malformed websocket frames do not end the server; the run says what happened; the kernel recovers', async () => {
    const k = await call(client, 'start_kernel');
    assert.equal(k.isError, false, k.text);
    const kernel_id = k.structured.kernel_id;
    assert.equal((await call(client, 'execute_cell', { kernel_id, code: 'x = 41' })).isError, false);
    const pinger = await startPinger(cli.port);
    const outcomes: string[] = [];
    try {
      for (const frame of ['binary16', 'text'] as const) {
        // During a run: the frame arrives while the call waits for the kernel's reply.
        const running = call(client, 'execute_cell', { kernel_id, code: 'import time; time.sleep(2); print(x + 1)' });
        await sleep(700);
        assert.ok(proxy.inject(frame) >= 1, 'no kernel websocket to inject into');
        const r = await running;
        if (r.isError) assert.match(r.text, /not a valid Jupyter message/, r.text);
        else assert.match(r.text, /42/);
        outcomes.push(`${frame} during a run: ${r.isError ? r.text.split('\n')[0] : 'ran'}`);
        // The next call works, on the same kernel, with its state.
        const next = await call(client, 'execute_cell', { kernel_id, code: 'print(x + 1)' });
        assert.equal(next.isError, false, next.text);
        assert.match(next.text, /42/);
        // While idle: nothing waits for the connection.
        assert.ok(proxy.inject(frame) >= 1);
        await sleep(300);
        const after = await call(client, 'execute_cell', { kernel_id, code: 'print(x + 1)' });
        assert.equal(after.isError, false, after.text);
        assert.match(after.text, /42/);
      }
    } finally {
      const { times, failures } = await pinger.stop();
      for (const o of outcomes) console.log(o);
      assert.deepEqual(failures, [], 'the other client\'s pings failed');
      assert.ok(times.length >= 20, `only ${times.length} pings answered`);
      checkPings('pings while malformed frames arrived', times);
    }
    assert.equal(cli.proc.exitCode, null, `the server exited: ${cli.stderr().slice(-2000)}`);
    assert.equal((await raw(cli.port, { method: 'GET', path: '/healthz' })).status, 200);
  });

  for (const chunked of [false, true]) test(`item 7: a 150 MB /api/kernels answer${chunked ? ' (chunked, no length)' : ''} is refused at the cap; memory and the other client are spared`, async () => {
    proxy.override('GET /api/kernels', { kind: 'huge', bytes: 150 * 1024 * 1024, chunked });
    const pinger = await startPinger(cli.port);
    const rssBefore = rssKb(cli.proc.pid!);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(cli.proc.pid!))), 50);
    const t0 = Date.now();
    try {
      const r = await call(client, 'list_kernels');
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /larger than 8 MB/, r.text);
      // Pings over at least 3 s, so that their p99 means something (the refusal itself is quick).
      await sleep(Math.max(0, 3000 - (Date.now() - t0)));
    } finally {
      clearInterval(sampler);
      proxy.override('GET /api/kernels', undefined);
      const { times, failures } = await pinger.stop();
      assert.deepEqual(failures, []);
      console.log(`server RSS ${Math.round(rssBefore / 1024)} MiB -> peak ${Math.round(peak / 1024)} MiB during the 150 MB answer`);
      checkPings('pings while a 150 MB answer arrived', times);
    }
    assert.ok(peak - rssBefore < 200 * 1024, `the server grew by ${Math.round((peak - rssBefore) / 1024)} MiB`);
    // Nothing is left broken: the real answer comes through again.
    assert.equal((await call(client, 'list_kernels')).isError, false);
  });

  test('item 8: kernel ids ".", "..", "a/b" are refused before they reach a URL', async () => {
    const bad = ['.', '..', 'a/b', '../../api/kernels', '%2e%2e', 'x?y'];
    const seen = proxy.requests.length;
    for (const kernel_id of bad) {
      for (const tool of ['restart_kernel', 'interrupt_kernel', 'stop_kernel', 'execute_cell'] as const) {
        const r = await call(client, tool, tool === 'execute_cell' ? { kernel_id, code: '1' } : { kernel_id });
        assert.equal(r.isError, true, `${tool} ${kernel_id}: ${r.text}`);
        assert.match(r.text, /is not a kernel id.*list_kernels/s, `${tool} ${kernel_id}: ${r.text}`);
      }
    }
    const sent = proxy.requests.slice(seen);
    assert.deepEqual(sent, [], `requests were sent for bad ids: ${sent.join(', ')}`);
  });
});

describe('a Jupyter server that accepts and never answers (issue #18 item 7; in-process, short limits)', () => {
  let ws: { root: string; cleanup(): void };
  let jupyter: TestJupyter;
  let proxy: JupyterProxy;
  let server: TestServer;
  let client: Client;

  before(async () => {
    ws = tempDir('jmcp-hang-');
    jupyter = await startJupyterServer();
    proxy = await startJupyterProxy(jupyter.url);
    // The same backend the CLI builds, with time-outs short enough for a test (defaults: 30 s, 120 s to start).
    const kernels = new JupyterServerBackend({ url: proxy.url, token: jupyter.token, wire: { timeoutMs: 1500, startTimeoutMs: 3000 } } as ConstructorParameters<typeof JupyterServerBackend>[0]);
    server = await startServer({ root: ws.root, kernels });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await server?.close();
    await server?.context.kernels.dispose();
    await proxy?.close();
    await jupyter?.stop();
    ws?.cleanup();
  });

  /** The call's result, or "still hanging" after `ms`. */
  async function within(ms: number, p: Promise<{ isError: boolean; text: string }>): Promise<{ isError: boolean; text: string; ms: number }> {
    const t0 = Date.now();
    const r = await Promise.race([p, sleep(ms).then(() => ({ isError: true, text: `still hanging after ${ms} ms` }))]);
    return { ...r, ms: Date.now() - t0 };
  }

  test('list_kernels and start_kernel answer with a time-out error; the server keeps serving', async () => {
    proxy.override('GET /api/kernels', { kind: 'hang' });
    proxy.override('POST /api/kernels', { kind: 'hang' });
    const pinger = await startPinger(Number(new URL(server.url).port));
    try {
      const list = await within(20_000, call(client, 'list_kernels'));
      assert.equal(list.isError, true);
      assert.match(list.text, /no answer within 1\.5 s \(timed out\)/, list.text);
      const start = await within(20_000, call(client, 'start_kernel'));
      assert.equal(start.isError, true);
      assert.match(start.text, /no answer within 3 s \(timed out\)/, start.text);
      console.log(`list_kernels answered in ${list.ms} ms, start_kernel in ${start.ms} ms`);
    } finally {
      proxy.override('GET /api/kernels', undefined);
      proxy.override('POST /api/kernels', undefined);
      const { times, failures } = await pinger.stop();
      assert.deepEqual(failures, []);
      checkPings('pings while Jupyter hung', times);
    }
    assert.equal((await call(client, 'list_kernels')).isError, false);
  });
});
