import { z } from 'zod';
import { defineTool } from './tool';
import {
  describeResult,
  kernelIdParam,
  outputsSchema,
  renderForModel,
  runningShape,
  runWithProgress,
  statusSchema,
  timeoutMs,
  timeoutParam,
  waitParam,
} from './execution';
import { runOrAnswer } from './runAnswers';
import { unseenNote } from '../runs/registry';

export const executeCell = defineTool({
  name: 'execute_cell',
  title: 'Code in a Jupyter kernel',
  description:
    'Run code in a Jupyter kernel (local, Jupyter server or JupyterHub; nothing saved): outputs, errors, plots as images. Long runs answer "running" with a run_id (wait_for_run); a time-out interrupts the kernel.',
  inputSchema: {
    kernel_id: kernelIdParam,
    code: z.string().describe('Code to run, as written.'),
    timeout: timeoutParam,
    wait_seconds: waitParam,
  },
  outputSchema: {
    kernel_id: z.string().describe('Kernel the code ran in.'),
    execution_count: z.number().nullable().describe('Execution number given by the kernel (null if it did not start).'),
    status: statusSchema,
    outputs: outputsSchema,
    message: z.string().optional().describe('Why the status is not "ok" (time-out, cancellation, still running) and what to do; which outputs an earlier "running" answer already gave.'),
    ...runningShape,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  runsCode: true,
  async handler(args, ctx, extra) {
    return runOrAnswer(ctx, extra, { tool: 'execute_cell', kernelId: args.kernel_id }, args.wait_seconds, async (ctl) => {
      const live = ctl.run.cellStarted();
      const res = await runWithProgress(ctl, (opts) => ctx.kernels.execute(args.kernel_id, args.code, opts), timeoutMs(ctx, args.timeout), {
        base: 0,
        label: 'Running',
        watch: (o, n) => live.update(o, n),
      });
      ctl.run.cellEnded(res.outputs);
      // Outputs a "running" answer already returned are not repeated.
      const unseen = ctl.run.unseenOfLastCell(res.outputs);
      const r = renderForModel(ctx, { ...res, outputs: unseen.outputs });
      const earlier = unseenNote(unseen);
      return {
        structured: {
          kernel_id: args.kernel_id,
          execution_count: res.execution_count,
          status: res.status,
          outputs: r.outputs as z.infer<typeof outputsSchema>,
          // The note on outputs an earlier "running" answer gave is advice too: in both views.
          ...(res.message || earlier ? { message: `${res.message ?? ''}${earlier}`.trim() } : {}),
        },
        summary: `Executed in kernel ${args.kernel_id}: ${describeResult(res)}${earlier}${r.text ? `\n${r.text}` : ''}`,
        extra: r.images,
        omitJsonText: true,
      };
    });
  },
});
