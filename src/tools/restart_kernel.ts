import { z } from 'zod';
import { defineTool } from './tool';
import { kernelIdParam } from './execution';

export const restartKernel = defineTool({
  name: 'restart_kernel',
  title: 'Jupyter kernel restart',
  description: 'Restart a kernel (also a dead one): variables are lost, the kernel_id stays.',
  inputSchema: { kernel_id: kernelIdParam },
  outputSchema: {
    success: z.boolean().describe('True when it was done.'),
    message: z.string().describe('What was done, e.g. "Kernel restarted: ID".'),
    kernel_id: z.string().describe('The kernel.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  kernelTool: true,
  async handler(args, ctx) {
    await ctx.kernels.restartKernel(args.kernel_id);
    const message = `Kernel restarted: ${args.kernel_id}`;
    return { structured: { success: true, message, kernel_id: args.kernel_id }, summary: message };
  },
});
