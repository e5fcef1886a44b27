import { z } from 'zod';
import { defineTool } from './tool';
import { describeResult, kernelIdParam, outputsSchema, renderForModel, runWithProgress, statusSchema, timeoutMs, timeoutParam } from './execution';

export const executeCell = defineTool({
  name: 'execute_cell',
  title: 'Execute code',
  description:
    'Run code in a kernel (not saved to any notebook) and return its outputs: text, errors with traceback, and plots as images. Multi-line code runs exactly as written. Long runs send progress notifications; on time-out the kernel is interrupted and the partial outputs returned. To run a notebook cell and save its outputs use execute_notebook_cell.',
  inputSchema: {
    kernel_id: kernelIdParam,
    code: z.string().describe('Code to run, as written (newlines and indentation kept).'),
    timeout: timeoutParam,
  },
  outputSchema: {
    kernel_id: z.string().describe('Kernel the code ran in.'),
    execution_count: z.number().nullable().describe('Execution number given by the kernel (null if it did not start).'),
    status: statusSchema,
    outputs: outputsSchema,
    message: z.string().optional().describe('Why the status is not "ok" (time-out, cancellation) and what to do.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  runsCode: true,
  async handler(args, ctx, extra) {
    const res = await runWithProgress(extra, (opts) => ctx.kernels.execute(args.kernel_id, args.code, opts), timeoutMs(ctx, args.timeout));
    const r = renderForModel(ctx, res);
    return {
      structured: {
        kernel_id: args.kernel_id,
        execution_count: res.execution_count,
        status: res.status,
        outputs: r.outputs as z.infer<typeof outputsSchema>,
        ...(res.message ? { message: res.message } : {}),
      },
      summary: `Executed in kernel ${args.kernel_id}: ${describeResult(res)}${r.text ? `\n${r.text}` : ''}`,
      extra: r.images,
      omitJsonText: true,
    };
  },
});
