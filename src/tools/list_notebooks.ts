import { z } from 'zod';
import { defineTool, resultSize } from './tool';

export const listNotebooks = defineTool({
  name: 'list_notebooks',
  title: 'Jupyter notebook listing',
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
    truncated: z.boolean().describe('True when more notebooks exist than listed (over `limit`, or more than fit in one result).'),
    note: z.string().optional().describe('When truncated: how to list the rest.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const limit = args.limit ?? 200;
    const res = await ctx.notebooks.list(args.folder ?? '.', { recursive: args.recursive ?? true, limit });
    // As many as fit in this client's result (each view: the JSON of an entry, or its line).
    let room = ctx.limits.maxResultChars - 600;
    let fit = 0;
    for (const n of res.notebooks) {
      room -= resultSize(JSON.stringify(n)) + 1;
      if (room < 0) break;
      fit++;
    }
    const notebooks = res.notebooks.slice(0, fit);
    const truncated = res.truncated || fit < res.notebooks.length;
    const why = fit < res.notebooks.length ? `the first ${fit} fit in one result` : `limit ${limit}`;
    const note = truncated ? `More notebooks exist than listed (${why}): name a sub-folder${fit < res.notebooks.length ? '' : ' or pass a larger limit (up to 5000)'}, or find notebooks by content with search_notebooks.` : undefined;
    const lines = notebooks.map((n) => `${n.path}${n.open_in_editor ? ' (open)' : ''}`);
    return {
      structured: { notebooks, truncated, ...(note ? { note } : {}) },
      summary: `${notebooks.length} notebook${notebooks.length === 1 ? '' : 's'}${truncated ? ' (truncated)' : ''}:\n${lines.join('\n')}${note ? `\n${note}` : ''}`,
      omitJsonText: true,
    };
  },
});
