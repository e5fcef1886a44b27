import { z } from 'zod';
import { defineTool } from './tool';

export const listKernels = defineTool({
  name: 'list_kernels',
  title: 'Jupyter kernel listing',
  description:
    'List startable kernelspecs and running kernels (state, notebook).',
  inputSchema: {},
  outputSchema: {
    available_kernels: z
      .array(
        z.object({
          name: z.string().describe('Kernelspec name to pass as start_kernel kernel_name.'),
          display_name: z.string().describe('Human name, e.g. "Python 3 (ipykernel)".'),
          language: z.string().describe('Programming language of the kernel.'),
          backend: z.string().describe('Who runs it: "jupyter" (Jupyter server) or "editor".'),
        }),
      )
      .describe('Kernelspecs that can be started.'),
    active_kernels: z
      .array(
        z.object({
          id: z.string().describe('Kernel id to pass as kernel_id.'),
          name: z.string().describe('Kernelspec name.'),
          state: z.string().describe('idle, busy, starting, restarting, dead or unknown.'),
          last_activity: z.string().optional().describe('ISO time of the last message.'),
          connections: z.number().optional().describe('Number of clients connected to it.'),
          notebook: z.string().optional().describe('Notebook path (workspace-relative) this kernel serves, if any.'),
          backend: z.string().describe('Who runs it: "jupyter" or "editor".'),
        }),
      )
      .describe('Running kernels.'),
    default_kernel: z.string().optional().describe('Kernelspec started when start_kernel gets no kernel_name.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(_args, ctx) {
    const { available, active, default_kernel } = await ctx.kernels.listKernels();
    const summary =
      `${available.length} kernelspec${available.length === 1 ? '' : 's'} available (${available.map((k) => k.name).join(', ') || 'none'}), ` +
      `${active.length} running kernel${active.length === 1 ? '' : 's'}` +
      (active.length ? `: ${active.map((k) => `${k.id} (${k.name}, ${k.state}${k.notebook ? `, ${k.notebook}` : ''})`).join('; ')}` : '.');
    return {
      structured: { available_kernels: available, active_kernels: active, ...(default_kernel ? { default_kernel } : {}) },
      summary,
    };
  },
});
