import { z } from 'zod';
import { defineTool } from './tool';

export const listNotebooks = defineTool({
  name: 'list_notebooks',
  title: 'List Jupyter notebooks',
  description: 'Find Jupyter notebooks (.ipynb) under a folder: size, mtime, open in the editor.',
  inputSchema: {
    folder: z.string().optional().describe('Folder under the workspace root (default: root).'),
    recursive: z.boolean().optional().describe('Include sub-folders (default true).'),
    limit: z.number().int().min(1).max(5000).optional().describe('Maximum notebooks listed (default 200).'),
  },
  outputSchema: {
    notebooks: z
      .array(
        z.object({
          path: z.string().describe('Path relative to the workspace root.'),
          size: z.number().describe('Size in bytes.'),
          modified: z.string().describe('Last modification time (ISO 8601).'),
          open_in_editor: z.boolean().optional().describe('True when the notebook is open in VS Code.'),
        }),
      )
      .describe('The notebooks found, sorted by path.'),
    truncated: z.boolean().describe('True when more notebooks exist than `limit`.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const res = await ctx.notebooks.list(args.folder ?? '.', { recursive: args.recursive ?? true, limit: args.limit ?? 200 });
    const lines = res.notebooks.map((n) => `${n.path}${n.open_in_editor ? ' (open)' : ''}`);
    return {
      structured: res,
      summary: `${res.notebooks.length} notebook${res.notebooks.length === 1 ? '' : 's'}${res.truncated ? ' (truncated)' : ''}:\n${lines.join('\n')}`,
      omitJsonText: true,
    };
  },
});
