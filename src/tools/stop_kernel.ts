import { z } from 'zod';
import { defineTool } from './tool';
import { kernelIdParam } from './execution';

export const stopKernel = defineTool({
  name: 'stop_kernel',
  title: 'Jupyter kernel shutdown',
  description: 'Shut a kernel down; its variables are lost.',
  inputSchema: { kernel_id: kernelIdParam },
  outputSchema: {
    success: z.boolean().describe('True when it was done.'),
    message: z.string().describe('What was done, e.g. "Kernel stopped: ID".'),
    kernel_id: z.string().describe('The kernel.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  kernelTool: true,
  async handler(args, ctx) {
    await ctx.kernels.stopKernel(args.kernel_id);
    const message = `Kernel stopped: ${args.kernel_id}`;
    return { structured: { success: true, message, kernel_id: args.kernel_id }, summary: message };
  },
});
