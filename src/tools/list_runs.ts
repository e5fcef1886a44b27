import { z } from 'zod';
import { FORGET_AFTER_MS, runRegistry } from '../runs/registry';
import { defineTool, resultSize } from './tool';

export const listRuns = defineTool({
  name: 'list_runs',
  title: 'Jupyter run listing',
  description: 'List runs in progress (from any session) and recently ended ones, newest first.',
  inputSchema: {},
  outputSchema: {
    runs: z
      .array(
        z.object({
          run_id: z.string().describe('Pass to wait_for_run or cancel_run.'),
          tool: z.string().describe('The tool that started it.'),
          state: z.enum(['running', 'done', 'failed', 'cancelled']).describe('Where it is.'),
          path: z.string().optional().describe('Notebook, for notebook runs.'),
          kernel_id: z.string().optional().describe('Kernel it runs in.'),
          started: z.string().describe('ISO start time.'),
          elapsed_seconds: z.number().describe('Seconds it ran (so far).'),
          executed: z.number().optional().describe('Code cells finished (notebook runs).'),
          code_cells: z.number().optional().describe('Code cells to run (notebook runs).'),
          progress: z.string().optional().describe('Latest progress message.'),
        }),
      )
      .describe('Known runs.'),
    note: z.string().optional().describe('When not every run fits in one result: how many were left out.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(_args, ctx) {
    const now = Date.now();
    const runs = runRegistry(ctx)
      .list()
      .map((r) => ({
        run_id: r.id,
        tool: r.info.tool,
        state: (r.running ? 'running' : r.cancelled ? 'cancelled' : r.failure ? 'failed' : 'done') as 'running' | 'done' | 'failed' | 'cancelled',
        ...(r.info.path !== undefined ? { path: r.info.path } : {}),
        ...(r.info.kernelId ? { kernel_id: r.info.kernelId } : {}),
        started: new Date(r.startedAt).toISOString(),
        elapsed_seconds: Math.round(((r.endedAt ?? now) - r.startedAt) / 1000),
        ...(r.info.total !== undefined ? { executed: r.executed, code_cells: r.info.total } : {}),
        ...(r.progressMessage ? { progress: r.progressMessage } : {}),
      }));
    // Newest first, as many as fit in this client's result.
    let room = ctx.limits.maxResultChars - 600;
    const shown = runs.filter((r) => (room -= resultSize(JSON.stringify(r)) + 1) >= 0);
    const note = shown.length < runs.length ? `${runs.length - shown.length} older run${runs.length - shown.length === 1 ? '' : 's'} left out to fit one result; ended runs are forgotten after ${FORGET_AFTER_MS / 60_000} minutes.` : undefined;
    const running = runs.filter((r) => r.state === 'running').length;
    const summary =
      runs.length === 0
        ? `No runs in progress (ended ones are forgotten after ${FORGET_AFTER_MS / 60_000} minutes).`
        : `${running} run${running === 1 ? '' : 's'} in progress, ${runs.length - running} ended: ` +
          shown.map((r) => `${r.run_id} ${r.tool} ${r.path ?? r.kernel_id ?? ''} ${r.state} ${r.elapsed_seconds} s`).join('; ') +
          (note ? `. ${note}` : '');
    return { structured: { runs: shown, ...(note ? { note } : {}) }, summary };
  },
});
