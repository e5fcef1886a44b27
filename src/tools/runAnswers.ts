// Runs, answering before the client gives up: an execution tool starts its work as a run
// (src/runs/registry.ts) and answers with the result when it ends in time, else with status
// "running", the outputs so far and the wait_for_run call to make next; wait_for_run answers the
// same way.
import type { Cell, Output } from '../notebooks/nbformat';
import { runRegistry, type Run, type RunControl, type RunInfo } from '../runs/registry';
import { waitMs } from '../runs/waits';
import { renderForModel } from './execution';
import { callText, readOutputCall } from './notebookView';
import { resultSize, type ToolCallExtra, type ToolContext, type ToolOutput } from './tool';

/**
 * Starts `body` as a run and waits for it up to `wait_seconds` (default per client, capped by
 * --max-wait). Finished by then: the tool's usual answer. Otherwise: status "running", a run_id,
 * the outputs so far and the call to make next; the run goes on. Cancelling this call while it
 * waits interrupts the run, as cancelling a plain call did.
 */
export async function runOrAnswer<S>(
  ctx: ToolContext,
  extra: ToolCallExtra,
  info: RunInfo,
  waitSeconds: number | undefined,
  body: (ctl: RunControl) => Promise<ToolOutput<S>>,
): Promise<ToolOutput<S>> {
  const registry = runRegistry(ctx);
  const run = registry.start(info, body as (ctl: RunControl) => Promise<ToolOutput<Record<string, unknown>>>);
  const ms = extra.untilDone ? Infinity : waitMs(waitSeconds, ctx.session.clientName?.(), ctx.execution.maxWaitMs);
  const ended = await follow(run, extra, ms);
  if (!ended && extra.signal.aborted) {
    run.cancel();
    await run.wait(10_000);
  }
  // Nobody else learned this run's id: once its answer is given here, there is nothing to follow.
  if (!run.running) registry.forget(run.id);
  // A "running" answer fills the tool's fields it can (its output schema has them all optional).
  return answerOf(ctx, run) as ToolOutput<S>;
}

/** Waits on a run for `ms`, relaying its progress to this call; true when the run ended. */
export async function follow(run: Run, extra: ToolCallExtra, ms: number): Promise<boolean> {
  const stop = run.follow((p, message, total) => void extra.progress(p, message, total).catch(() => undefined));
  try {
    return await run.wait(ms, extra.signal);
  } finally {
    stop();
  }
}

/** The run's answer now: its final result once it ended (failures throw), else a "running" one. */
export function answerOf(ctx: ToolContext, run: Run): ToolOutput<Record<string, unknown>> {
  if (!run.running) {
    if (run.failure) throw run.failure;
    return run.final!;
  }
  const secs = Math.round((Date.now() - run.startedAt) / 1000);
  const { tool, path, kernelId, total } = run.info;
  const cur = run.current;
  const notebook = tool === 'execute_notebook';
  const where = notebook
    ? `${path}: ${run.executed} of ${total ?? '?'} code cells done${cur?.index !== undefined ? `, cell ${cur.index} running` : ''}`
    : path !== undefined
      ? `${path}[${cur?.index ?? '?'}]`
      : `kernel ${kernelId}`;
  const next = `wait_for_run {"run_id": "${run.id}"}`;
  const message = `Still running after ${secs} s (${where}). It goes on: call ${next} for what comes next (outputs since this answer), or cancel_run to stop it.`;

  // Outputs since the last look, newest kept when they exceed the result budget.
  const cells = run.takeUnseen();
  const hint = path ? `The outputs are saved in ${path} as they arrive: read_notebook shows them.` : undefined;
  let shown = cells.flatMap((c) => c.unseen.outputs.map((o) => (notebook && c.index !== undefined ? { ...o, cell_index: c.index } : o)));
  // Where each shown output is saved in the notebook (cell, output index, first character), so a
  // cut output names the exact read_output call for its rest.
  let places = cells.flatMap((c) =>
    c.unseen.outputs.map((_, j) => ({ index: c.index ?? cur?.index, id: c.id, output: c.unseen.earlier + j, from: j === 0 ? (c.unseen.continuedAt ?? 0) : 0 })),
  );
  const render = () =>
    renderForModel(ctx, { status: 'ok', execution_count: null, outputs: shown as Output[] }, path, (i, offset) => {
      const at = places[i];
      if (path === undefined || at?.index === undefined) return undefined;
      const call = readOutputCall(path, { cell_type: 'code', id: at.id, metadata: {}, source: '' } as Cell, at.index, at.output, { offset: at.from + offset });
      return `The full output is being saved in ${path} (cell ${at.index}): read the rest with ${callText(call)}.`;
    });
  let r = render();
  let dropped = 0;
  while (shown.length > 1 && resultSize(r.text) + resultSize(JSON.stringify(r.outputs)) > ctx.limits.maxResultChars) {
    const cut = Math.max(1, Math.ceil(shown.length / 4));
    shown = shown.slice(cut);
    places = places.slice(cut);
    dropped += cut;
    r = render();
  }
  // renderOutputs rebuilds each output: put the notebook cell back on each for the model.
  const outputs = notebook ? r.outputs.map((o, i) => ({ ...o, cell_index: (shown[i] as { cell_index?: number }).cell_index })) : r.outputs;
  const dropped_ = dropped ? `${dropped} earlier output${dropped === 1 ? '' : 's'} left out to fit the result size.${hint ? ` ${hint}` : ''}` : '';
  const droppedNote = dropped_ ? `\n[${dropped_}]` : '';
  const progress = run.progressMessage ? ` ${run.progressMessage}.` : '';

  // Every piece of advice is in structuredContent too (the only view of VS Code's and Claude
  // Code's models). No `success` here: the run has not ended, and a model reads `false` as failed.
  const structured: Record<string, unknown> = {
    status: 'running',
    run_id: run.id,
    next,
    message: `${message}${progress}${dropped_ ? ` ${dropped_}` : ''}`,
    elapsed_seconds: secs,
    ...(kernelId ? { kernel_id: kernelId } : {}),
    ...(path !== undefined ? { path } : {}),
    outputs,
  };
  if (tool === 'execute_cell') structured.execution_count = null;
  if (tool === 'execute_notebook_cell') Object.assign(structured, { execution_count: null, saved: true, ...(cur?.index !== undefined ? { cell_index: cur.index } : {}), ...(cur?.id ? { cell_id: cur.id } : {}) });
  if (notebook) Object.assign(structured, { code_cells: total ?? 0, executed: run.executed, ...(cur?.index !== undefined ? { running_cell: cur.index } : {}) });
  return {
    structured,
    summary: `${message}${progress}${r.text ? `\nOutputs since the last answer:\n${r.text}` : ''}${droppedNote}`,
    extra: r.images,
    omitJsonText: true,
  };
}
