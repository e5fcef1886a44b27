import { z } from 'zod';
import { FORGET_AFTER_MS, runRegistry, type Run } from '../runs/registry';
import { waitMs } from '../runs/waits';
import { defineTool, ToolError, type ToolContext, type ToolOutput } from './tool';
import { outputsSchema, waitParam } from './execution';
import { answerOf, follow } from './runAnswers';

export const runIdParam = z.string().min(1).describe('From a "running" answer or list_runs.');

/** What wait_for_run and cancel_run return: the run's answer (running, or the tool's final one). */
export const runAnswerShape = {
  run_id: z.string().describe('The run.'),
  tool: z.string().describe('The tool that started it.'),
  done: z.boolean().describe('True when the run is over; the other fields are then the tool\'s final result.'),
  status: z.string().optional().describe('"running", or the final status (ok, error, aborted, timeout).'),
  message: z.string().optional().describe('What happened and what to call next.'),
  outputs: outputsSchema.optional(),
  next: z.string().optional().describe('The call to make next while the run goes on.'),
};

export function findRun(ctx: ToolContext, runId: string): Run {
  const run = runRegistry(ctx).get(runId);
  if (!run) {
    throw new ToolError(
      `Unknown run_id "${runId}": runs are forgotten ${FORGET_AFTER_MS / 60_000} minutes after they end (and at once when the call that started them gave the result), ` +
        'and the server may have restarted. list_runs shows the known runs; read_notebook shows saved outputs.',
    );
  }
  return run;
}

/** The run's answer with its id and tool, for wait_for_run and cancel_run. */
export function runAnswer(ctx: ToolContext, run: Run): ToolOutput<z.infer<z.ZodObject<typeof runAnswerShape>>> {
  const a = answerOf(ctx, run);
  return { ...a, structured: { ...a.structured, run_id: run.id, tool: run.info.tool, done: !run.running } as never };
}

export const waitForRun = defineTool({
  name: 'wait_for_run',
  title: 'Jupyter run follow-up',
  description:
    'Follow a run of an execution tool: outputs since the last answer, then its final result (fields as the tool that started it).',
  inputSchema: {
    run_id: runIdParam,
    wait_seconds: waitParam,
  },
  outputSchema: runAnswerShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx, extra) {
    const run = findRun(ctx, args.run_id);
    await follow(run, extra, waitMs(args.wait_seconds, ctx.session.clientName?.(), ctx.execution.maxWaitMs));
    return runAnswer(ctx, run);
  },
});
