// Long runs against a real Jupyter server (Debian's jupyter_server 1.23) through real SDK clients
// over real HTTP. A client gives up on a call after its own time limit (here 10 s, as the SDK's
// request `timeout`): the execution tools must answer before it, and the run must go on, be
// followed (from any session) and be stoppable.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js';
import { call, connectClient, ok, startServer } from '../helpers/mcp';
import { readNotebook as readNb, useRealJupyter, writeNotebook } from '../helpers/realJupyter';

/** The client's own limit: a call not answered by then fails in the client with a time-out. */
const CLIENT_LIMIT = { timeout: 10_000 };

const streamText = (outputs: any[]) => outputs.filter((o) => o.output_type === 'stream').map((o) => [o.text].flat().join('')).join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long runs on a real Jupyter server', () => {
  // --max-wait 8: no call of this server waits longer than 8 s before answering.
  const rj = useRealJupyter({ server: { timeoutMs: 60_000, maxWaitSeconds: 8 } });
  let kernelId: string;

  before(async () => {
    kernelId = (await ok(rj.client, 'start_kernel', { kernel_name: 'python3' })).kernel_id;
  });

  test('a cell longer than the client limit answers "running" within it; the notebook shows its outputs as they come; wait_for_run brings the rest', async () => {
    const name = writeNotebook(rj.ws.root, 'long.ipynb', ['import time\nprint("start", flush=True)\ntime.sleep(12)\nprint("end")']);
    const t0 = Date.now();
    // No wait_seconds: the rj.server's --max-wait (8 s) bounds the wait, under the client's 10 s.
    const first = await call(rj.client, 'execute_notebook_cell', { path: name, cell_index: 0, kernel_id: kernelId }, CLIENT_LIMIT);
    const firstMs = Date.now() - t0;
    assert.ok(!first.isError, first.text);
    assert.ok(firstMs < 10_000, `first answer after ${firstMs} ms`);
    assert.equal(first.structured.status, 'running');
    assert.match(first.structured.run_id, /^run-[0-9a-f]{10}$/);
    assert.match(first.structured.next, /wait_for_run \{"run_id": "run-/);
    assert.equal(streamText(first.structured.outputs), 'start\n');
    assert.match(first.text, /Still running after \d+ s \(long\.ipynb\[0\]\).*wait_for_run/s);
    assert.match(first.text, /start/);
    // A running answer has no `success` (a model reads false as "failed"); what to do next is in
    // structuredContent too (the only view of VS Code's and Claude Code's models).
    assert.equal('success' in first.structured, false, JSON.stringify(first.structured));
    assert.match(first.structured.message, /Still running after \d+ s \(long\.ipynb\[0\]\)\. It goes on: call wait_for_run/);

    // While it runs, the notebook on disk already has what the cell printed (no count yet).
    const during = readNb(rj.ws.root, name).cells[0] as any;
    assert.equal(streamText(during.outputs), 'start\n');
    assert.equal(during.execution_count, null);

    const final = await call(rj.client, 'wait_for_run', { run_id: first.structured.run_id }, CLIENT_LIMIT);
    assert.ok(!final.isError, final.text);
    assert.equal(final.structured.done, true);
    assert.equal(final.structured.status, 'ok');
    assert.equal(final.structured.success, true);
    // Outputs since the last answer only: "start" was already returned.
    assert.equal(streamText(final.structured.outputs), 'end\n');
    assert.match(final.text, /only what came after the last "running" answer is shown here; all outputs are saved in long.ipynb/);
    assert.match(final.structured.message, /^Cell executed: long\.ipynb\[0\] \(only what came after the last "running" answer is shown here; all outputs are saved in long\.ipynb\)$/);
    const saved = readNb(rj.ws.root, name).cells[0] as any;
    assert.equal(streamText(saved.outputs), 'start\nend\n');
    assert.equal(typeof saved.execution_count, 'number');
  });

  test('a cut output in a "running" answer names the exact read_output call for its rest, also for a stream that grew since the last look', async () => {
    // A small per-output cap, so each half of the stream (3,000 characters) is cut.
    const small = await startServer({ root: rj.ws.root, kernels: rj.backend, timeoutMs: 60_000, maxWaitSeconds: 8, maxOutputChars: 600 });
    const c = await connectClient(small.url);
    try {
      const lines = (p: string) => `print("".join(f"${p}{i:04d}\\n" for i in range(500)), end="", flush=True)`;
      const name = writeNotebook(rj.ws.root, 'cut-running.ipynb', ['print("first cell")', `import time\n${lines('a')}\ntime.sleep(2)\n${lines('b')}\ntime.sleep(60)`]);
      const hinted = (text: string): { head: string; call: { path: string; cell_id: string; output_index: number; offset: number } } => {
        const [head, rest] = text.split('\n… [output truncated');
        assert.ok(rest, `the output was not cut: ${text.slice(0, 200)}`);
        const m = /read_output (\{[^}]*\})/.exec(rest);
        assert.ok(m, `the cut names no read_output call: ${rest.slice(0, 400)}`);
        return { head, call: JSON.parse(m[1]) };
      };
      const saved = (): string => streamText((readNb(rj.ws.root, name).cells[1] as any).outputs);
      // The exact call reads on from where the shown head stops, in the notebook as saved.
      const check = async (h: ReturnType<typeof hinted>, from: number) => {
        assert.equal(h.call.path, name);
        assert.equal(h.call.cell_id, 'c1');
        assert.equal(h.call.output_index, 0);
        assert.equal(h.call.offset, from + h.head.length, `offset ${h.call.offset}: the head shown starts at ${from}`);
        // Live saves come at most once a second: wait for this part to be on disk.
        let full = saved();
        for (let i = 0; i < 50 && full.length <= h.call.offset; i++) {
          await sleep(100);
          full = saved();
        }
        assert.equal(full.slice(from, h.call.offset), h.head);
        const rest = await ok(c, 'read_output', h.call);
        assert.equal(rest.text, full.slice(h.call.offset, h.call.offset + rest.text.length));
      };

      const first = await call(c, 'execute_notebook', { path: name, kernel_id: kernelId, wait_seconds: 1 }, CLIENT_LIMIT);
      assert.equal(first.structured.status, 'running', first.text);
      const a = first.structured.outputs.find((o: any) => o.cell_index === 1);
      assert.ok(a, JSON.stringify(first.structured.outputs).slice(0, 300));
      assert.ok(a.text.startsWith('a0000'));
      await check(hinted(a.text), 0);

      // The same stream grows: the next look returns only the new part, cut again; its call reads on
      // from the right place in the whole saved stream (3,000 characters further).
      let b: any;
      for (let i = 0; i < 10 && !b; i++) {
        const look = await call(c, 'wait_for_run', { run_id: first.structured.run_id, wait_seconds: 1 }, CLIENT_LIMIT);
        b = look.structured.outputs.find((o: any) => o.cell_index === 1 && String(o.text).startsWith('b0000'));
      }
      assert.ok(b, 'the second half of the stream never came');
      await check(hinted(b.text), 3000);
      await call(c, 'cancel_run', { run_id: first.structured.run_id });
    } finally {
      await c.close();
      await small.close();
    }
  });

  test('a run outlives the session that started it: another session lists it, follows it and cancels it; the kernel keeps its state', async () => {
    const starter = await connectClient(rj.server.url);
    const first = await call(starter, 'execute_cell', { kernel_id: kernelId, code: 'import time\nx = 41\nprint("a", flush=True)\ntime.sleep(60)', wait_seconds: 1 });
    assert.equal(first.structured.status, 'running', first.text);
    const runId = first.structured.run_id;
    await starter.close();

    const other = await connectClient(rj.server.url);
    try {
      const listed = await ok(other, 'list_runs');
      const mine = listed.runs.find((r: any) => r.run_id === runId);
      assert.ok(mine, JSON.stringify(listed));
      assert.equal(mine.state, 'running');
      assert.equal(mine.kernel_id, kernelId);

      const look = await call(other, 'wait_for_run', { run_id: runId, wait_seconds: 1 });
      assert.equal(look.structured.status, 'running');
      assert.equal(look.structured.done, false);
      assert.deepEqual(look.structured.outputs, [], 'nothing new since the first answer');

      const t = Date.now();
      const cancelled = await call(other, 'cancel_run', { run_id: runId });
      assert.ok(!cancelled.isError, cancelled.text);
      assert.equal(cancelled.structured.done, true);
      assert.equal(cancelled.structured.status, 'aborted');
      assert.match(cancelled.structured.message, /cancelled/);
      assert.ok(Date.now() - t < 5000, `cancel took ${Date.now() - t} ms`);

      const next = await ok(other, 'execute_cell', { kernel_id: kernelId, code: 'x + 1', wait_seconds: 5 });
      assert.equal(next.outputs[0].data['text/plain'], '42');
      const after = (await ok(other, 'list_runs')).runs.find((r: any) => r.run_id === runId);
      assert.equal(after.state, 'cancelled');
    } finally {
      await other.close();
    }
  });

  test('execute_notebook answers "running" with progress and a total; cancel_run stops it before its next cell', async () => {
    const name = writeNotebook(rj.ws.root, 'steps.ipynb', [
      'print("one")',
      'import time\ntime.sleep(1.5)\nprint("two")',
      'time.sleep(60)',
      'never = True',
    ]);
    const progress: Array<{ progress: number; total?: number }> = [];
    const first = await call(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId, wait_seconds: 0.5 }, { ...CLIENT_LIMIT, onprogress: (p: any) => progress.push(p) });
    assert.equal(first.structured.status, 'running', first.text);
    assert.equal('success' in first.structured, false, 'no success while running');
    assert.equal(first.structured.code_cells, 4);
    assert.ok(progress.length > 0 && progress.every((p) => p.total === 4), JSON.stringify(progress));

    // Wait until the third cell runs; the outputs of finished cells come once, with their cell.
    let seen = first.structured.outputs as any[];
    let look = first;
    for (let i = 0; i < 10 && look.structured.running_cell !== 2; i++) {
      look = await call(rj.client, 'wait_for_run', { run_id: first.structured.run_id, wait_seconds: 0.5 });
      seen = seen.concat(look.structured.outputs);
    }
    assert.equal(look.structured.running_cell, 2, look.text);
    assert.equal(look.structured.executed, 2);
    assert.deepEqual(
      seen.map((o) => [o.cell_index, o.text]),
      [
        [0, 'one\n'],
        [1, 'two\n'],
      ],
    );

    const cancelled = await call(rj.client, 'cancel_run', { run_id: first.structured.run_id });
    assert.equal(cancelled.structured.done, true);
    assert.equal(cancelled.structured.success, false);
    assert.match(cancelled.structured.message, /Notebook execution cancelled.*3 of 4 code cells ran/);
    const nb = readNb(rj.ws.root, name);
    assert.equal(streamText((nb.cells[1] as any).outputs), 'two\n');
    assert.deepEqual((nb.cells[3] as any).outputs, []);
    // The cells' requests were all sent ahead; the kernel must not have run the last one.
    const check = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: '"never" in globals()' });
    assert.equal(check.outputs[0].data['text/plain'], 'False', 'the cell after the cancelled one never ran');
  });

  test('execute_notebook sends the cells ahead, yet nothing after a failing cell runs, and the next call right after is not aborted', async () => {
    const name = writeNotebook(rj.ws.root, 'fails.ipynb', ['after_error = 0', 'print("before")', '1 / 0', 'after_error = 1', 'print("not me")']);
    const r = await call(rj.client, 'execute_notebook', { path: name, kernel_id: kernelId });
    assert.equal(r.structured.success, false);
    assert.equal(r.structured.failed_cell.index, 2);
    assert.equal(r.structured.failed_cell.ename, 'ZeroDivisionError');
    assert.equal(r.structured.executed, 3);
    const nb = readNb(rj.ws.root, name);
    assert.equal(streamText((nb.cells[1] as any).outputs), 'before\n');
    assert.deepEqual((nb.cells[3] as any).outputs, []);
    assert.equal((nb.cells[3] as any).execution_count, null);
    const next = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'after_error' });
    assert.equal(next.status, 'ok', next.message);
    assert.equal(next.outputs[0].data['text/plain'], '0', 'the cell after the error did not run');
  });

  test('MCP Tasks: a task-augmented execute_cell completes through tasks/result; tasks/cancel interrupts the kernel', async () => {
    const tc = await connectClient(rj.server.url);
    try {
      const listed = await tc.listTools();
      assert.deepEqual(listed.tools.find((t) => t.name === 'execute_notebook')?.execution, { taskSupport: 'optional' });
      assert.equal(listed.tools.find((t) => t.name === 'read_notebook')?.execution, undefined);

      const messages: any[] = [];
      const stream = tc.experimental.tasks.callToolStream(
        { name: 'execute_cell', arguments: { kernel_id: kernelId, code: 'import time\ntime.sleep(1.5)\nprint("from a task")' } },
        CallToolResultSchema,
        { task: { ttl: 60_000 }, timeout: 10_000 },
      );
      for await (const m of stream) messages.push(m);
      assert.equal(messages[0].type, 'taskCreated', JSON.stringify(messages[0]));
      const result = messages[messages.length - 1];
      assert.equal(result.type, 'result', JSON.stringify(result));
      assert.equal(result.result.structuredContent.status, 'ok');
      assert.match(result.result.content[0].text, /from a task/);

      const created = await tc.request(
        { method: 'tools/call', params: { name: 'execute_cell', arguments: { kernel_id: kernelId, code: 'import time\ntask_state = 7\ntime.sleep(60)' }, task: { ttl: 60_000 } } },
        CreateTaskResultSchema,
      );
      await sleep(800);
      const t = Date.now();
      const cancelled = await tc.experimental.tasks.cancelTask(created.task.taskId);
      assert.equal(cancelled.status, 'cancelled');
      const next = await ok(tc, 'execute_cell', { kernel_id: kernelId, code: 'task_state', wait_seconds: 5 });
      assert.equal(next.outputs[0].data['text/plain'], '7');
      assert.ok(Date.now() - t < 5000, `the kernel was busy ${Date.now() - t} ms after tasks/cancel`);
    } finally {
      await tc.close();
    }
  });

  test('MCP Tasks: a task-augmented execute_notebook reports progress (with the cell total) and a status message while it runs', async () => {
    const name = writeNotebook(rj.ws.root, 'task-progress.ipynb', [0, 1, 2].map((i) => `import time\nprint("cell ${i}", flush=True)\ntime.sleep(1)`));
    const tc = await connectClient(rj.server.url);
    try {
      const progress: Array<{ progress: number; total?: number; message?: string }> = [];
      const messages: any[] = [];
      const stream = tc.experimental.tasks.callToolStream(
        { name: 'execute_notebook', arguments: { path: name, kernel_id: kernelId } },
        CallToolResultSchema,
        { task: { ttl: 60_000 }, timeout: 10_000, onprogress: (p: any) => progress.push(p) },
      );
      for await (const m of stream) messages.push(m);
      const result = messages[messages.length - 1];
      assert.equal(result.type, 'result', JSON.stringify(result));
      assert.equal(result.result.isError, undefined, JSON.stringify(result.result).slice(0, 600));
      assert.equal(result.result.structuredContent.executed, 3);
      // Progress reached the rj.client after the task was created (the call itself had been answered).
      assert.ok(progress.length > 0, 'no progress notification reached the client during the task');
      assert.ok(progress.every((p) => p.total === 3), JSON.stringify(progress));
      assert.ok(progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), `progress must grow: ${JSON.stringify(progress)}`);
      // A rj.client that polls tasks/get (VS Code) sees where the run is.
      const statuses = messages.filter((m) => m.type === 'taskStatus').map((m) => m.task.statusMessage).filter(Boolean);
      assert.ok(statuses.some((s: string) => /cell/i.test(s)), `no status message while the task worked: ${JSON.stringify(messages.map((m) => m.type))}`);
    } finally {
      await tc.close();
    }
  });

  test('the running message ends with the call (VS Code kept it as the finished call\'s label): the last progress notification has none, a finished task no status message, a failed task its error', async () => {
    const code = 'import time\nprint("one", flush=True)\ntime.sleep(1.2)\nprint("two", flush=True)';
    const labels = (ps: Array<{ progress: number; message?: string }>): void => {
      assert.ok(ps.some((p) => p.message), `no progress message while the cell ran: ${JSON.stringify(ps)}`);
      assert.equal(ps[ps.length - 1].message, undefined, `the last progress notification still says "${ps[ps.length - 1].message}"`);
      assert.ok(ps.every((p, i) => i === 0 || p.progress > ps[i - 1].progress), `progress must grow: ${JSON.stringify(ps)}`);
    };
    // A plain call (the answer comes on the call's own stream, after its progress).
    const plain: Array<{ progress: number; message?: string }> = [];
    const r = await rj.client.callTool({ name: 'execute_cell', arguments: { kernel_id: kernelId, code } }, undefined, { onprogress: (p) => plain.push(p) });
    assert.match(JSON.stringify(r.content), /two/);
    labels(plain);

    const tc = await connectClient(rj.server.url);
    try {
      // A task (as VS Code calls the execution tools): progress, then the task's final status.
      const progress: Array<{ progress: number; message?: string }> = [];
      const messages: any[] = [];
      const stream = tc.experimental.tasks.callToolStream({ name: 'execute_cell', arguments: { kernel_id: kernelId, code } }, CallToolResultSchema, {
        task: { ttl: 60_000 },
        timeout: 10_000,
        onprogress: (p: any) => progress.push(p),
      });
      for await (const m of stream) messages.push(m);
      assert.equal(messages[messages.length - 1].type, 'result', JSON.stringify(messages[messages.length - 1]));
      labels(progress);
      const done = await tc.experimental.tasks.getTask(messages[0].task.taskId);
      assert.equal(done.status, 'completed');
      assert.equal(done.statusMessage, undefined, 'a finished task still reports its running message');

      // VS Code 1.139 reports a failed task as "Task … failed: <statusMessage>", without tasks/result.
      const failing: any[] = [];
      for await (const m of tc.experimental.tasks.callToolStream({ name: 'execute_cell', arguments: { kernel_id: 'no-such-kernel', code: '1' } }, CallToolResultSchema, { task: { ttl: 60_000 }, timeout: 10_000 })) failing.push(m);
      const failed = await tc.experimental.tasks.getTask(failing[0].task.taskId);
      assert.equal(failed.status, 'failed');
      assert.match(failed.statusMessage ?? '', /Kernel not found: no-such-kernel\. Call list_kernels/);
    } finally {
      await tc.close();
    }
  });

  test('a short cell still answers in one call, and an unknown run_id says where to look', async () => {
    const r = await call(rj.client, 'execute_cell', { kernel_id: kernelId, code: '6 * 7' });
    assert.equal(r.structured.status, 'ok');
    assert.equal(r.structured.run_id, undefined);
    const listed = await ok(rj.client, 'list_runs');
    assert.ok(!listed.runs.some((x: any) => x.state === 'running'));
    const unknown = await call(rj.client, 'wait_for_run', { run_id: 'run-0000000000' });
    assert.ok(unknown.isError);
    assert.match(unknown.text, /Unknown run_id "run-0000000000".*list_runs/);
    await sleep(0);
  });
});
