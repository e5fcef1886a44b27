// The run registry and the per-client waits, without a kernel: what a look returns as outputs
// arrive, and how long each client's calls wait before answering "running".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_FINISHED, RunRegistry, type Run } from '../../src/runs/registry';
import { clientWaitSeconds, DEFAULT_MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS, waitMs } from '../../src/runs/waits';
import { clientSnippets, rooEntry } from '../../src/util/clientConfig';
import { resolveSettings } from '../../src/config';
import { answerOf } from '../../src/tools/runAnswers';
import type { ToolContext } from '../../src/tools/tool';
import type { Output } from '../../src/notebooks/nbformat';

const stream = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });

/** A run whose body finishes when `end()` is called. */
function openRun(registry = new RunRegistry()): { run: Run; end(): void } {
  let end!: () => void;
  const run = registry.start({ tool: 'execute_cell', kernelId: 'k' }, () => new Promise((r) => (end = () => r({ structured: { status: 'ok' }, summary: 'done' }))));
  return { run, end: () => end() };
}

test('each look returns only what arrived since the previous one, a growing stream as its new text', async () => {
  const { run } = openRun();
  const live = run.cellStarted({ index: 0 });
  const out = stream('a\n');
  live.update(out, 1);
  assert.deepEqual(run.takeUnseen()[0].unseen.outputs, [stream('a\n')]);
  assert.deepEqual(run.takeUnseen(), [], 'nothing new: nothing returned');
  out.text = 'a\nb\n'; // the backend merges stream chunks into the same output
  live.update(out, 1);
  const img: Output = { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} };
  live.update(img, 2);
  assert.deepEqual(run.takeUnseen()[0].unseen.outputs, [stream('b\n'), img]);
  // The final answer of the cell leaves out both outputs already returned.
  const final = run.unseenOfLastCell([stream('a\nb\n'), img, stream('c\n')]);
  assert.deepEqual(final.outputs, [stream('c\n')]);
  assert.equal(final.earlier, 2);
});

test('a stream rewritten by a carriage return is returned whole; cleared outputs start over', async () => {
  const { run } = openRun();
  const live = run.cellStarted();
  const bar = stream('10%');
  live.update(bar, 1);
  run.takeUnseen();
  bar.text = '50%';
  live.update(bar, 1);
  assert.deepEqual(run.takeUnseen()[0].unseen.outputs, [stream('50%')]);
  const fresh = stream('new');
  live.list.length = 0; // clear_output
  live.update(fresh, 1);
  live.update(stream('more'), 2);
  assert.deepEqual(run.takeUnseen()[0].unseen.outputs.map((o) => o.text), ['new', 'more']);
});

test('finished cells of a notebook run are returned once, with their index', async () => {
  const { run } = openRun();
  run.cellStarted({ index: 1 }).update(stream('one\n'), 1);
  run.cellEnded([stream('one\n')]);
  run.cellStarted({ index: 3 }).update(stream('two\n'), 1);
  const look = run.takeUnseen();
  assert.deepEqual(look.map((c) => [c.index, c.unseen.outputs[0].text]), [[1, 'one\n'], [3, 'two\n']]);
  assert.deepEqual(run.takeUnseen(), []);
  assert.equal(run.executed, 1);
});

test('cancel aborts the run signal once; wait answers when the run ends or the time is up', async () => {
  const { run, end } = openRun();
  assert.equal(await run.wait(20), false);
  run.cancel();
  assert.ok(run.signal.aborted);
  assert.ok(run.cancelled);
  end();
  assert.equal(await run.wait(1000), true);
  assert.equal(run.running, false);
  assert.equal(run.final?.summary, 'done');
});

test('a failing body ends the run with its error; finished runs are bounded and can be forgotten', async () => {
  const registry = new RunRegistry();
  const failing = registry.start({ tool: 'execute_cell' }, async () => {
    throw new Error('kernel died');
  });
  await failing.wait(1000);
  assert.equal(failing.failure?.message, 'kernel died');
  registry.forget(failing.id);
  assert.equal(registry.get(failing.id), undefined);

  const open = openRun(registry);
  for (let i = 0; i < MAX_FINISHED + 5; i++) await registry.start({ tool: 'execute_cell' }, async () => ({ structured: {}, summary: '' })).wait(1000);
  await new Promise((r) => setImmediate(r));
  assert.ok(registry.list().length <= MAX_FINISHED + 1, `${registry.list().length} runs kept`);
  assert.equal(registry.list()[0], open.run, 'runs in progress are listed first and never dropped');
  open.end();
});

test('a run forgotten or dropped is freed at once, outputs and all (no timer keeps it for half an hour)', async () => {
  // A full collection on demand, without starting node with --expose-gc.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const registry = new RunRegistry();
  const refs: WeakRef<Run>[] = [];
  for (let i = 0; i < MAX_FINISHED + 3; i++) {
    const run = registry.start({ tool: 'execute_cell' }, async () => ({ structured: { image: 'x'.repeat(100_000) + i }, summary: '' }));
    await run.wait(1000);
    refs.push(new WeakRef(run));
    if (i === 0) registry.forget(run.id);
  }
  await new Promise((r) => setImmediate(r));
  // The forgotten one and the oldest beyond MAX_FINISHED are gone; the newest are kept.
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const alive = refs.map((r) => r.deref() !== undefined);
  assert.deepEqual(alive.slice(0, 3), [false, false, false], 'the forgotten run and the two oldest beyond the bound are freed');
  assert.equal(alive.filter(Boolean).length, MAX_FINISHED);
});

test('each client waits below the limit after which it gives up', () => {
  assert.equal(clientWaitSeconds('Roo Code'), 50);
  assert.equal(clientWaitSeconds('Cline'), 50);
  assert.equal(clientWaitSeconds('inspector-client'), 50);
  assert.equal(clientWaitSeconds('claude-code'), 100);
  assert.equal(clientWaitSeconds('Visual Studio Code'), 240);
  assert.equal(clientWaitSeconds('Visual Studio Code - Insiders'), 240);
  assert.equal(clientWaitSeconds('code-server'), 240);
  assert.equal(clientWaitSeconds('some-new-client'), DEFAULT_WAIT_SECONDS);
  assert.equal(clientWaitSeconds(undefined), DEFAULT_WAIT_SECONDS);
  assert.ok(DEFAULT_WAIT_SECONDS < 60, 'the MCP SDKs give up after 60 s by default');
  // --max-wait caps the client default and an explicit wait_seconds alike.
  assert.equal(waitMs(undefined, 'Visual Studio Code', 30_000), 30_000);
  assert.equal(waitMs(500, 'Roo Code', 30_000), 30_000);
  assert.equal(waitMs(2, 'Roo Code'), 2000);
  assert.equal(waitMs(undefined, 'Roo Code'), 50_000);
});

test('the Roo and Cline configurations we write give up later than any call of ours answers', () => {
  const e = { url: 'http://127.0.0.1:3000/mcp' };
  const longest = DEFAULT_MAX_WAIT_SECONDS;
  const roo = rooEntry(e, longest);
  assert.ok((roo.timeout as number) > longest, `Roo timeout ${roo.timeout} s`);
  const cline = JSON.parse(clientSnippets(e, longest).find((s) => s.label.startsWith('Cline'))!.text).mcpServers.jupyter;
  assert.ok(cline.timeout > longest, `Cline timeout ${cline.timeout} s`);
  // Roo's own default (60 s, when the user keeps it) is still above Roo's default wait.
  assert.ok(clientWaitSeconds('Roo Code') < 60);
});

test('--max-wait and --max-result-chars are read from the command line and the config file, and checked', () => {
  const cwd = process.cwd();
  const s = resolveSettings(['--max-wait', '20', '--max-result-chars', '5000'], {}, cwd);
  assert.equal(s.execution.maxWaitMs, 20_000);
  assert.equal(s.limits.maxResultChars, 5000);
  const d = resolveSettings([], {}, cwd);
  assert.equal(d.execution.maxWaitMs, DEFAULT_MAX_WAIT_SECONDS * 1000);
  assert.equal(d.limits.maxResultChars, 40_000);
  assert.throws(() => resolveSettings(['--max-wait', 'soon'], {}, cwd), /--max-wait must be a number between 0 and 86400/);
});

test('a "running" answer keeps the newest outputs within the result budget and says what it left out', () => {
  const ctx = { limits: { maxOutputChars: 20_000, maxImageBytes: 1000, maxResultChars: 30_000 }, kernels: {} } as unknown as ToolContext;
  const { run } = openRun();
  const live = run.cellStarted();
  for (let i = 0; i < 6; i++) live.update({ output_type: 'stream', name: i % 2 ? 'stderr' : 'stdout', text: String(i).repeat(10_000) }, i + 1);
  const a = answerOf(ctx, run);
  const outputs = a.structured.outputs as Output[];
  assert.equal(a.structured.status, 'running');
  assert.ok(outputs.length >= 1 && outputs.length < 6, `${outputs.length} outputs`);
  assert.equal(String(outputs[outputs.length - 1].text)[0], '5', 'the newest output is kept');
  assert.ok(JSON.stringify(outputs).length + a.summary.length < 2 * 30_000);
  assert.match(a.summary, /earlier outputs? left out to fit the result size/);
  assert.match(a.summary, new RegExp(`wait_for_run \\{"run_id": "${run.id}"\\}`));
});
