// Kernel and execution tools against a real Jupyter server (Debian's jupyter_server 1.23), through a
// real MCP client over HTTP. No mocks: kernels really start, run, die and restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync } from 'fs';
import * as path from 'path';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { KernelRouter } from '../../src/kernels/router';
import { OfflineBackend, NotConfiguredBackend } from '../../src/kernels/offline';
import { freePort, startLocalJupyter } from '../../src/kernels/localServer';
import { runConnectionCheck } from '../../src/kernels/check';
import { LocalJupyterBackend } from '../../src/kernels/localBackend';
import { joinSource, type Notebook } from '../../src/notebooks/nbformat';
import { startJupyterServer } from '../helpers/jupyter';
import { call, connectClient, ok, startServer, tempWorkspace } from '../helpers/mcp';
import { readNotebook as readNb, useRealJupyter, writeNotebook } from '../helpers/realJupyter';

const PNG_SIGNATURE = '89504e470d0a1a0a';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kernel tools on a real Jupyter server', () => {
  const rj = useRealJupyter({ server: { maxImageBytes: 512 * 1024 } });
  let kernelId: string;

  test('start_kernel and list_kernels show kernelspecs and the running kernel', async () => {
    const started = await ok(rj.client, 'start_kernel', { kernel_name: 'python3' });
    assert.equal(started.kernel_name, 'python3');
    assert.match(started.kernel_id, /^[0-9a-f-]{36}$/);
    kernelId = started.kernel_id;
    const listed = await ok(rj.client, 'list_kernels');
    assert.ok(listed.available_kernels.some((k: any) => k.name === 'python3' && k.language === 'python'));
    assert.equal(listed.default_kernel, 'python3');
    assert.ok(listed.active_kernels.some((k: any) => k.id === kernelId && k.name === 'python3'));
  });

  test('start_kernel with an unknown kernelspec lists the available ones', async () => {
    const r = await call(rj.client, 'start_kernel', { kernel_name: 'no-such-kernel' });
    assert.ok(r.isError);
    assert.match(r.text, /Unknown kernel "no-such-kernel".*Available kernels: python3 \(Python 3 \(ipykernel\)\)/);
  });

  test('execute_cell runs multi-line code as written and returns stream and result', async () => {
    const code = 'def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n\nprint("sum", f(5))\nf(10)';
    const r = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code });
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.status, 'ok');
    assert.equal(typeof r.structured.execution_count, 'number');
    assert.deepEqual(r.structured.outputs[0], { output_type: 'stream', name: 'stdout', text: 'sum 10\n' });
    assert.equal(r.structured.outputs[1].data['text/plain'], '45');
    assert.match(r.text, /sum 10\nOut: 45/);
  });

  test('a progress bar drawn with carriage returns arrives as its final state', async () => {
    const code = 'import sys, time\nfor i in range(5):\n    sys.stderr.write(f"\\rprogress {i * 25:3d}%")\n    sys.stderr.flush()\n    time.sleep(0.02)\nsys.stderr.write("\\n")\nprint("done")';
    const r = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code });
    assert.equal(r.status, 'ok');
    // stdout and stderr are separate streams: their chunks may interleave in any order.
    assert.equal(r.outputs.filter((o: any) => o.name === 'stderr').map((o: any) => o.text).join(''), 'progress 100%\n');
  });

  test('a matplotlib plot arrives as MCP image content', async () => {
    const code = 'import matplotlib\nmatplotlib.use("module://matplotlib_inline.backend_inline")\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()';
    const r = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code });
    assert.ok(!r.isError, r.text);
    const images = r.content.filter((c: any) => c.type === 'image');
    assert.equal(images.length, 1, r.text);
    assert.equal(images[0].mimeType, 'image/png');
    assert.ok(!/\s/.test(images[0].data), 'base64 without newlines');
    assert.equal(Buffer.from(images[0].data, 'base64').subarray(0, 8).toString('hex'), PNG_SIGNATURE);
    assert.ok(!JSON.stringify(r.structured).includes(images[0].data.slice(0, 40)), 'no base64 in structured content');
  });

  test('an error returns status error with a traceback free of ANSI codes', async () => {
    const r = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'def g():\n    return 1/0\ng()' });
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.status, 'error');
    const err = r.structured.outputs.find((o: any) => o.output_type === 'error');
    assert.equal(err.ename, 'ZeroDivisionError');
    assert.match(r.text, /ZeroDivisionError/);
    assert.match(r.text, /return 1\/0/);
    assert.ok(!r.text.includes('\u001b'), 'ANSI stripped');
  });


  // ipykernel answers a failing request, then aborts what reaches it within stop_on_error_timeout
  // (0 s by default: a race a loaded machine loses now and then). The kernel here waits 0.5 s, so
  // the race is always lost unless we ask it not to abort. An agent that calls again right after
  // an error must get its code run, not "aborted".
  test('the call right after an error runs (the kernel does not abort it)', async () => {
    await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'get_ipython().kernel.stop_on_error_timeout = 0.5' });
    try {
      for (let i = 0; i < 3; i++) {
        const bad = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: `raise KeyError(${i})` });
        assert.equal(bad.status, 'error');
        const next = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: `${i} + 1` });
        assert.equal(next.status, 'ok', `round ${i}: ${JSON.stringify(next)}`);
        assert.equal((next.outputs[0].data as any)['text/plain'], String(i + 1));
      }
    } finally {
      await sleep(600);
      await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'get_ipython().kernel.stop_on_error_timeout = 0.0' });
    }
  });

  test('interrupt_kernel stops time.sleep(60) quickly and keeps the state', async () => {
    await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'kept = 7' });
    const started = Date.now();
    const running = call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'import time\ntime.sleep(60)' });
    await sleep(800);
    const i = await ok(rj.client, 'interrupt_kernel', { kernel_id: kernelId });
    assert.deepEqual(i, { success: true, message: `Kernel interrupted: ${kernelId}`, kernel_id: kernelId });
    const r = await running;
    assert.ok(Date.now() - started < 5000, `returned after ${Date.now() - started} ms`);
    assert.equal(r.structured.status, 'error');
    assert.match(r.text, /KeyboardInterrupt/);
    const after = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'kept' });
    assert.equal(after.outputs[0].data['text/plain'], '7');
  });

  test('a time-out interrupts the kernel and returns the partial output', async () => {
    const started = Date.now();
    const r = await call(rj.client, 'execute_cell', {
      kernel_id: kernelId,
      code: 'import time\nprint("before", flush=True)\ntime.sleep(30)\nprint("after")',
      timeout: 1.5,
    });
    const elapsed = Date.now() - started;
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.status, 'timeout');
    assert.ok(elapsed < 6000, `returned after ${elapsed} ms`);
    assert.deepEqual(r.structured.outputs, [{ output_type: 'stream', name: 'stdout', text: 'before\n' }]);
    assert.match(r.structured.message, /timed out after 1\.\d s: the kernel was interrupted/);
    const next = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: '1+1', timeout: 5 });
    assert.equal(next.status, 'ok', 'the kernel is usable right after');
  });

  test('cancelling the MCP request interrupts the running code', async () => {
    const controller = new AbortController();
    const running = call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'import time\ntime.sleep(60)' }, { signal: controller.signal }).catch((e) => e);
    await sleep(800);
    controller.abort();
    await running;
    const t = Date.now();
    const next = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: '"free"', timeout: 10 });
    assert.equal(next.outputs[0].data['text/plain'], "'free'");
    assert.ok(Date.now() - t < 4000, `kernel was busy for ${Date.now() - t} ms after the cancellation`);
  });

  test('ending the session answers a running call at once and interrupts its code', async () => {
    const other = await connectClient(rj.server.url);
    const running = call(other, 'execute_cell', { kernel_id: kernelId, code: 'import time\ntime.sleep(60)' }).then(
      () => new Error('the call returned normally'),
      (e: Error) => e,
    );
    await sleep(800);
    const t = Date.now();
    await (other.transport as StreamableHTTPClientTransport).terminateSession();
    const err = await running;
    assert.match(err.message, /Session closed before the answer: reconnect and call again/);
    assert.ok(Date.now() - t < 4000, `the call was answered ${Date.now() - t} ms after the session ended`);
    await other.close();
    const next = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: '"free again"', timeout: 10 });
    assert.equal(next.outputs[0].data['text/plain'], "'free again'");
    assert.ok(Date.now() - t < 6000, `kernel was busy for ${Date.now() - t} ms after the session ended`);
  });

  test('views see a kernel busy from the moment our code is sent until it has finished', async () => {
    const router = new KernelRouter(rj.backend);
    const running = router.execute(kernelId, 'import time\ntime.sleep(1.5)', { timeoutMs: 10_000 });
    const during = (await router.listKernels()).active.find((k) => k.id === kernelId);
    assert.equal(during?.state, 'busy');
    assert.equal((await running).status, 'ok');
    let after;
    for (let i = 0; i < 20 && after?.state !== 'idle'; i++) {
      if (i) await sleep(100);
      after = (await router.listKernels()).active.find((k) => k.id === kernelId);
    }
    assert.equal(after?.state, 'idle');
  });

  test('a request queued behind a running one times out without interrupting it', async () => {
    const first = call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'import time\ntime.sleep(2)\nprint("first done")', timeout: 20 });
    await sleep(300);
    const second = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'print("second")', timeout: 0.5 });
    assert.equal(second.structured.status, 'timeout');
    assert.match(second.structured.message, /^Nothing was run: kernel .* was busy with an earlier request/);
    const r = await first;
    assert.equal(r.structured.status, 'ok', r.text);
    assert.equal(r.structured.outputs[0].text, 'first done\n');
  });

  test('restart_kernel loses the state', async () => {
    await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'x = 42' });
    const r = await ok(rj.client, 'restart_kernel', { kernel_id: kernelId });
    assert.deepEqual(r, { success: true, message: `Kernel restarted: ${kernelId}`, kernel_id: kernelId });
    const after = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'x' });
    assert.equal(after.structured.status, 'error');
    assert.match(after.text, /NameError/);
  });

  test('a kernel killed with SIGKILL is reported dead, and restart_kernel recovers it', async () => {
    // Its own kernel: the Jupyter server's auto-restarter may restart a killed kernel once more a few
    // seconds later, which a later test sharing the kernel would meet as "died while running".
    const kernelId = (await ok(rj.client, 'start_kernel', { kernel_name: 'python3' })).kernel_id as string;
    const pidOut = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'import os\nos.getpid()' });
    const pid = Number(pidOut.outputs[0].data['text/plain']);
    assert.ok(pid > 0);
    const started = Date.now();
    const running = call(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'state = 1\nimport time\ntime.sleep(30)' });
    await sleep(500);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.ok(r.isError, 'a dead kernel is an error');
    assert.match(r.text, new RegExp(`Kernel ${kernelId} died while running this code`));
    assert.match(r.text, /restart_kernel/);
    assert.ok(Date.now() - started < 15_000, `reported after ${Date.now() - started} ms`);
    await ok(rj.client, 'restart_kernel', { kernel_id: kernelId });
    const after = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: '1+1' });
    assert.equal(after.status, 'ok');
    const pid2 = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'os.getpid() if "os" in dir() else "fresh"' });
    assert.equal(pid2.outputs[0].data['text/plain'], "'fresh'");
    await ok(rj.client, 'stop_kernel', { kernel_id: kernelId });
  });

  test('execute_notebook runs code cells in order and writes outputs into the .ipynb', async () => {
    const name = writeNotebook(rj.ws.root, 'run-all.ipynb', [{ md: '# Title' }, 'a = 2\nprint("a is", a)', '', 'a * 21']);
    const progress: number[] = [];
    const r = await call(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId }, { onprogress: (p: any) => progress.push(p.progress) });
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.success, true);
    assert.equal(r.structured.message, `Notebook executed: ${name} (2 code cells)`);
    assert.equal(r.structured.cell_count, 4);
    assert.equal(r.structured.executed, 2);
    assert.ok(progress.length >= 2 && progress.every((p, i) => i === 0 || p > progress[i - 1]), `progress ${progress}`);
    const nb = readNb(rj.ws.root, name);
    assert.deepEqual(nb.cells[1].outputs, [{ name: 'stdout', output_type: 'stream', text: ['a is 2\n'] }]);
    assert.equal(typeof nb.cells[1].execution_count, 'number');
    assert.deepEqual(nb.cells[2].outputs, [], 'empty cell untouched');
    assert.deepEqual((nb.cells[3].outputs![0].data as any)['text/plain'], ['42']);
    assert.equal(nb.cells[3].execution_count, (nb.cells[1].execution_count as number) + 1);
  });

  test('execute_notebook stops at the first error and reports the failing cell', async () => {
    const name = writeNotebook(rj.ws.root, 'fails.ipynb', ['print("one")', 'raise ValueError("bad value")', 'print("three")']);
    const r = await call(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId });
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.success, false);
    const { output, ...failed } = r.structured.failed_cell;
    assert.deepEqual(failed, { index: 1, id: 'c1', ename: 'ValueError', evalue: 'bad value' });
    // The traceback is in the structured view too (what VS Code and Claude Code models read).
    assert.match(output, /ValueError\s+Traceback \(most recent call last\)[\s\S]*raise ValueError\("bad value"\)[\s\S]*ValueError: bad value/);
    assert.ok(!output.includes('\u001b'), 'ANSI stripped');
    assert.equal(r.structured.executed, 2);
    assert.match(r.text, /ValueError: bad value/);
    const nb = readNb(rj.ws.root, name);
    assert.equal((nb.cells[1].outputs![0] as any).ename, 'ValueError');
    assert.deepEqual(nb.cells[2].outputs, [], 'third cell not run');
    const all = await ok(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId, continue_on_error: true });
    assert.equal(all.executed, 3);
    assert.equal(all.error_count, 1);
  });

  test('execute_notebook saves each cell before a later one times out', async () => {
    // The per-cell time-out leaves room for a loaded machine to print "started" first (it once did not at 1.5 s).
    const name = writeNotebook(rj.ws.root, 'slow.ipynb', ['print("fast")', 'print("started", flush=True)\nimport time\ntime.sleep(30)']);
    const r = await call(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId, timeout: 4 });
    assert.ok(!r.isError, r.text);
    assert.equal(r.structured.success, false);
    assert.equal(r.structured.failed_cell.ename, 'Timeout');
    const nb = readNb(rj.ws.root, name);
    assert.deepEqual((nb.cells[0].outputs![0] as any).text, ['fast\n']);
    assert.deepEqual((nb.cells[1].outputs![0] as any).text, ['started\n']);
  });

  test("execute_notebook_cell without kernel_id uses the notebook's own kernel session and saves the outputs", async () => {
    const name = writeNotebook(rj.ws.root, 'cells.ipynb', ['y = 5', 'print(y * 2)\ny']);
    const first = await ok(rj.client, 'execute_notebook_cell', { path: name, cell_index: 0 });
    assert.equal(first.success, true);
    assert.equal(first.message, `Cell executed: ${name}[0]`);
    assert.equal(first.saved, true);
    const second = await ok(rj.client, 'execute_notebook_cell', { path: name, cell_id: 'c1' });
    assert.equal(second.kernel_id, first.kernel_id, 'same session kernel');
    assert.notEqual(second.kernel_id, kernelId);
    assert.equal(second.outputs[0].text, '10\n');
    const nb = readNb(rj.ws.root, name);
    assert.equal(nb.cells[1].execution_count, second.execution_count);
    assert.equal((nb.cells[1].outputs![1] as any).data['text/plain'][0], '5');
    const listed = await ok(rj.client, 'list_kernels');
    assert.ok(listed.active_kernels.some((k: any) => k.id === first.kernel_id && k.notebook === name));
    const md = await call(rj.client, 'execute_notebook_cell', { path: writeNotebook(rj.ws.root, 'md.ipynb', [{ md: 'text' }]), cell_index: 0 });
    assert.ok(md.isError);
    assert.match(md.text, /markdown cell: only code cells run/);
    await ok(rj.client, 'stop_kernel', { kernel_id: first.kernel_id });
  });

  test('a notebook kernel runs in the notebook folder; long output is capped with a note', async () => {
    mkdirSync(path.join(rj.ws.root, 'sub'), { recursive: true });
    const name = writeNotebook(rj.ws.root, 'sub/where.ipynb', ['import os\nprint(os.getcwd())', 'print("x" * 50000)']);
    const r = await ok(rj.client, 'execute_notebook_cell', { path: name, cell_index: 0 });
    assert.equal(r.outputs[0].text.trim(), realpathSync(path.join(rj.ws.root, 'sub')));
    const big = await call(rj.client, 'execute_notebook_cell', { path: name, cell_index: 1 });
    assert.ok(big.text.length < 25_000, `text of ${big.text.length} chars`);
    assert.match(big.text, /output truncated: showing 20000 of 50001 characters, the first 13334 and the last 6666; 30001 characters \(0 lines\) cut\. The full output is saved in sub\/where\.ipynb \(cell 1\): read the rest with read_output \{"path":"sub\/where\.ipynb","cell_id":"[^"]+","output_index":0,"offset":13334\}/);
    const nb = readNb(rj.ws.root, name);
    assert.equal(joinSource((nb.cells[1].outputs![0] as any).text).length, 50001, 'the notebook keeps everything');
    await ok(rj.client, 'stop_kernel', { kernel_id: r.kernel_id });
  });

  test('stop_kernel stops it; using it afterwards says to call list_kernels', async () => {
    const k = await ok(rj.client, 'start_kernel', {});
    const stopped = await ok(rj.client, 'stop_kernel', { kernel_id: k.kernel_id });
    assert.deepEqual(stopped, { success: true, message: `Kernel stopped: ${k.kernel_id}`, kernel_id: k.kernel_id });
    const r = await call(rj.client, 'execute_cell', { kernel_id: k.kernel_id, code: '1' });
    assert.ok(r.isError);
    assert.equal(r.text, `Kernel not found: ${k.kernel_id}. Call list_kernels to see running kernels, or start_kernel to start one.`);
    for (const tool of ['interrupt_kernel', 'restart_kernel', 'stop_kernel']) {
      const e = await call(rj.client, tool, { kernel_id: k.kernel_id });
      assert.match(e.text, /^Kernel not found: /, tool);
    }
  });

  test('a wrong token gives a clear 403 message that does not contain the token', async () => {
    const badToken = 'wrong-token-' + 'x'.repeat(20);
    const bad = new JupyterServerBackend({ url: rj.jupyter.url, token: badToken });
    const s = await startServer({ root: rj.ws.root, kernels: bad });
    const c = await connectClient(s.url);
    try {
      for (const [tool, args] of [['list_kernels', {}], ['start_kernel', {}], ['execute_cell', { kernel_id: kernelId, code: '1' }]] as const) {
        const r = await call(c, tool, args);
        assert.ok(r.isError, tool);
        assert.equal(r.text, `Jupyter server at ${rj.jupyter.url} refused the token (403 Forbidden): check --token (or "token" in the config file / JUPYTER_TOKEN) matches the token the server was started with.`);
        assert.ok(!r.text.includes(badToken) && !r.text.includes(rj.jupyter.token));
      }
    } finally {
      await c.close();
      await s.close();
      await bad.dispose();
    }
  });

  test('the connection check passes against the server', async () => {
    const lines: string[] = [];
    const passed = await runConnectionCheck({ jupyter: { url: rj.jupyter.url, token: rj.jupyter.token } }, (l) => lines.push(l));
    assert.ok(passed, lines.join('\n'));
    assert.match(lines.join('\n'), /print\(1\+1\) -> 2/);
    assert.ok(!lines.join('\n').includes(rj.jupyter.token));
  });
});

describe('kernel tools without a usable server', () => {
  test('offline mode explains how to connect', async () => {
    const ws = tempWorkspace();
    const s = await startServer({ root: ws.root, kernels: new OfflineBackend() });
    const c = await connectClient(s.url);
    try {
      for (const tool of ['list_kernels', 'start_kernel']) {
        const r = await call(c, tool, {});
        assert.ok(r.isError);
        assert.match(r.text, /offline mode \(--offline\).*restart it without --offline, and pass --url URL --token TOKEN/);
      }
      const r = await call(c, 'execute_cell', { kernel_id: 'k', code: '1' });
      assert.match(r.text, /offline mode/);
    } finally {
      await c.close();
      await s.close();
      ws.cleanup();
    }
  });

  test('no server configured explains --url/--token and installing jupyter-server', async () => {
    const r = await new NotConfiguredBackend().listKernels().catch((e) => e);
    assert.equal(r.code, 'not-configured');
    assert.match(r.message, /--url URL --token TOKEN/);
    assert.match(r.message, /apt-get install jupyter-server python3-ipykernel/);
  });

  test('no jupyter_server for the interpreter: the local launcher says how to install it', async () => {
    const e = await startLocalJupyter({ rootDir: process.cwd(), pythons: ['/nonexistent/python3'] }).catch((x) => x);
    assert.equal(e.code, 'not-configured');
    assert.match(e.message, /jupyter_server is not installed for \/nonexistent\/python3: install it .* or pass --url URL --token TOKEN/);
  });

  test('a server that is not running is named with ECONNREFUSED', async () => {
    const port = await freePort();
    const b = new JupyterServerBackend({ url: `http://127.0.0.1:${port}`, token: 'secret-token-1234' });
    try {
      const e = await b.listKernels().catch((x) => x);
      assert.equal(e.code, 'connection');
      assert.match(e.message, new RegExp(`^Cannot connect to Jupyter server at http://127\\.0\\.0\\.1:${port}/: ECONNREFUSED\\. Start one with .* or pass --url URL --token TOKEN`));
      assert.ok(!e.message.includes('secret-token-1234'));
    } finally {
      await b.dispose();
    }
  });

  test('a Jupyter server that dies mid-run gives a clear error within the time-out', async () => {
    const jupyter = await startJupyterServer();
    const b = new JupyterServerBackend({ url: jupyter.url, token: jupyter.token });
    try {
      const k = await b.startKernel();
      const started = Date.now();
      const running = b.execute(k.id, 'import time\nprint("working", flush=True)\ntime.sleep(60)', { timeoutMs: 30_000 }).catch((e) => e);
      await sleep(800);
      process.kill(jupyter.pid, 'SIGKILL'); // the server only: a crash, not a clean shutdown
      const e = await running;
      const elapsed = Date.now() - started;
      assert.equal(e.code, 'connection', String(e));
      assert.match(e.message, new RegExp(`^Lost the connection to the Jupyter server at ${jupyter.url.replace(/\./g, '\\.')} while the code ran .*ECONNREFUSED`));
      assert.ok(elapsed < 10_000, `reported after ${elapsed} ms`);
      const t = Date.now();
      const next = await b.execute(k.id, '1', { timeoutMs: 30_000 }).catch((x) => x);
      assert.match(next.message, /^Cannot connect to Jupyter server at .*ECONNREFUSED/);
      assert.ok(Date.now() - t < 6000, 'refused promptly, no hang');
    } finally {
      await b.dispose();
      await jupyter.stop();
    }
  });
});

describe('local Jupyter server started on demand', () => {
  test('starts on the first kernel call, runs code in the workspace, and stops with dispose()', async () => {
    const ws = tempWorkspace();
    const local = new LocalJupyterBackend({ rootDir: ws.root, pythons: ['/usr/bin/python3'] });
    try {
      assert.equal(await local.hasKernel('x'), false);
      assert.equal(await local.url(), undefined, 'nothing started yet');
      const k = await local.kernelForNotebook('a.ipynb', 'python3');
      const r = await local.execute(k.id, 'import os\nprint(os.getcwd())', { timeoutMs: 20_000 });
      assert.equal(String(r.outputs[0].text).trim(), realpathSync(ws.root));
      const url = (await local.url())!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      await local.dispose();
      await assert.rejects(fetch(url + 'api/status'), 'the server is gone after dispose');
    } finally {
      await local.dispose();
      ws.cleanup();
    }
  });

  test('without jupyter_server every kernel call explains --url/--token or installing it', async () => {
    const local = new LocalJupyterBackend({ rootDir: process.cwd(), pythons: ['/nonexistent/python3'] });
    const e = await local.startKernel().catch((x) => x);
    assert.equal(e.code, 'not-configured');
    assert.match(e.message, /^No Jupyter server is configured and none could be started locally \(jupyter_server is not installed for \/nonexistent\/python3/);
    assert.match(e.message, /pass --url URL --token TOKEN/);
    await local.dispose();
  });
});
