import { z } from 'zod';
import { defineTool } from './tool';
import { describeResult, kernelIdParam, outputsSchema, renderForModel, runWithProgress, statusSchema, timeoutMs, timeoutParam } from './execution';

export const executeCell = defineTool({
  name: 'execute_cell',
  title: 'Run code in a kernel',
  description:
    'Run Python (or any) code in a Jupyter kernel (nothing saved); returns outputs, errors and plots as images. On time-out the kernel is interrupted and partial outputs returned.',
  inputSchema: {
    kernel_id: kernelIdParam,
    code: z.string().describe('Code to run, as written.'),
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
