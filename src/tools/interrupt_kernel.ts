import { z } from 'zod';
import { defineTool } from './tool';
import { kernelIdParam } from './execution';

export const interruptKernel = defineTool({
  name: 'interrupt_kernel',
  title: 'Jupyter kernel interrupt',
  description: 'Interrupt running code (like Ctrl+C, e.g. a stuck cell); the kernel and its variables are kept.',
  inputSchema: { kernel_id: kernelIdParam },
  outputSchema: {
    success: z.boolean().describe('True when it was done.'),
    message: z.string().describe('What was done, e.g. "Kernel interrupted: ID".'),
    kernel_id: z.string().describe('The kernel.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  kernelTool: true,
  async handler(args, ctx) {
    await ctx.kernels.interruptKernel(args.kernel_id);
    const message = `Kernel interrupted: ${args.kernel_id}`;
    return { structured: { success: true, message, kernel_id: args.kernel_id }, summary: message };
  },
});
