import { z } from 'zod';
import { defineTool } from './tool';

export const startKernel = defineTool({
  name: 'start_kernel',
  title: 'Jupyter kernel start',
  description: 'Start a Jupyter kernel (Python by default); returns its kernel_id once it answers. Stop it with stop_kernel when done.',
  inputSchema: {
    kernel_name: z.string().min(1).optional().describe('Kernelspec name, e.g. "python3" (default: the server\'s).'),
  },
  outputSchema: {
    kernel_id: z.string().describe('Id of the started kernel.'),
    kernel_name: z.string().describe('Kernelspec it runs.'),
    state: z.string().describe('Kernel state after start (normally "idle").'),
    backend: z.string().describe('Who runs it: "jupyter" or "editor".'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  kernelTool: true,
  async handler(args, ctx) {
    const k = await ctx.kernels.startKernel(args.kernel_name);
    return {
      structured: { kernel_id: k.id, kernel_name: k.name, state: k.state, backend: k.backend },
      summary: `Kernel started: ${k.id} (${k.name})`,
    };
  },
});
