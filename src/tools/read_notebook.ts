import { z } from 'zod';
import { outlineCell, outlineText } from '../notebooks/outline';
import type { Cell } from '../notebooks/nbformat';
import { defineTool, ToolError } from './tool';
import { looseObject, pathParam } from './schemas';

export const readNotebook = defineTool({
  name: 'read_notebook',
  title: 'Read notebook',
  description:
    'Read a notebook. format "full" (default; nbformat JSON), "outline" (a line per cell; cheap on large notebooks) or "source" (no outputs). Page with start_index/limit.',
  inputSchema: {
    path: pathParam,
    format: z.enum(['full', 'outline', 'source']).optional().describe('"full" (default), "outline" or "source".'),
    start_index: z.number().int().min(0).optional().describe('First cell to return (default 0).'),
    limit: z.number().int().min(1).optional().describe('Maximum cells to return (default all).'),
    include_outputs: z.boolean().optional().describe('Format "full": include outputs (default true).'),
  },
  outputSchema: {
    path: z.string().describe('Notebook path relative to the workspace root.'),
    store: z.enum(['file', 'editor']).describe('Where it was read from: the open editor document or the file.'),
    version: z.string().describe('Version token of what was read; write_notebook checks it so changes made since are not overwritten.'),
    cell_count: z.number().describe('Total number of cells in the notebook.'),
    start_index: z.number().describe('Index of the first cell returned.'),
    returned: z.number().describe('Number of cells returned.'),
    notebook: looseObject.optional().describe('The notebook in nbformat 4 JSON (formats "full" and "source"); with paging, `cells` holds only the requested page.'),
    outline: z
      .array(
        z.object({
          index: z.number().describe('Cell position.'),
          id: z.string().describe('Stable cell id ("index:N" when the notebook has no ids).'),
          cell_type: z.string().describe('code, markdown or raw.'),
          first_line: z.string().describe('First non-empty line of the source.'),
          lines: z.number().describe('Number of source lines.'),
          execution_count: z.number().nullable().optional().describe('Execution count of a code cell.'),
          outputs: z
            .array(z.object({ output_type: z.string(), kinds: z.array(z.string()), size: z.number() }))
            .optional()
            .describe('Per output: type, mime types (or stream name) and size in characters.'),
        }),
      )
      .optional()
      .describe('Format "outline": one entry per cell.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const { notebook, relativePath, store, version } = await ctx.notebooks.read(args.path);
    ctx.session.seen.set(relativePath, version);
    const total = notebook.cells.length;
    const start = args.start_index ?? 0;
    if (start > 0 && start >= total) {
      throw new ToolError(`start_index ${start} is past the end: the notebook has ${total} cells (valid start_index: 0 to ${Math.max(0, total - 1)}).`);
    }
    const end = args.limit !== undefined ? Math.min(total, start + args.limit) : total;
    const page = notebook.cells.slice(start, end);
    const format = args.format ?? 'full';
    const base = { path: relativePath, store, version, cell_count: total, start_index: start, returned: page.length };
    const paged = start > 0 || end < total ? ` (cells ${start}-${end - 1} of ${total})` : '';
    if (format === 'outline') {
      const outline = page.map((c, i) => outlineCell(c, start + i));
      return {
        structured: { ...base, outline },
        summary: `${relativePath}: ${total} cells${paged}\n${outlineText(outline)}`,
        omitJsonText: true,
      };
    }
    const withOutputs = format === 'full' && args.include_outputs !== false;
    const cells = withOutputs ? page : page.map(stripOutputs);
    return {
      structured: { ...base, notebook: { ...notebook, cells } },
      summary: `${relativePath}: ${total} cells${paged}${withOutputs ? '' : ', outputs left out'}.`,
    };
  },
});

function stripOutputs(c: Cell): Cell {
  if (c.cell_type !== 'code') return c;
  const { outputs: _o, ...rest } = c;
  return { ...rest, outputs: [] } as Cell;
}
