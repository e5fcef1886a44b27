import { z } from 'zod';
import { emptyNotebook } from '../notebooks/nbformat';
import { defineTool } from './tool';
import { editResultShape, looseObject, pathParam } from './schemas';
import { noteWhole } from './cellGuard';

export const createNotebook = defineTool({
  name: 'create_notebook',
  title: 'Jupyter notebook creation',
  description: 'Create an empty Jupyter notebook (.ipynb, nbformat 4.5). Refuses to replace an existing file unless overwrite.',
  inputSchema: {
    path: pathParam,
    kernel: z.string().min(1).optional().describe('Kernelspec name (default "python3"; see list_kernels).'),
    overwrite: z.boolean().optional().describe('Replace an existing notebook (default false).'),
  },
  outputSchema: {
    ...editResultShape,
    notebook: looseObject.describe('The new notebook (nbformat 4 JSON).'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const kernel = args.kernel ?? 'python3';
    const notebook = emptyNotebook({ name: kernel });
    const info = await ctx.notebooks.create(args.path, notebook, { overwrite: args.overwrite ?? false });
    const version = await ctx.notebooks.currentVersion(info.relativePath);
    if (version) ctx.session.seen.set(info.relativePath, version);
    noteWhole(ctx.session, info.relativePath, notebook);
    return {
      structured: { success: true, message: `Notebook created: ${info.relativePath}`, path: info.relativePath, store: info.store, notebook },
      summary: `Notebook created: ${info.relativePath} (kernel ${kernel}).`,
      omitJsonText: true,
    };
  },
});
