import { z } from 'zod';
import { defineTool, ToolError } from './tool';
import { looseObject, pathParam } from './schemas';
import { callText, notebookHead, pageCells, pageOutline, type NextCall } from './notebookView';
import { pagePlotLinks } from './plotLinks';

// Room left in the result for the fields around the page (version, counts, note, next, read_from)
// and for the text view's summary line, which repeats the note before the same JSON. The note and
// the calls in it name the path several times.
const reserve = (path: string) => 1500 + 10 * path.length;

export const readNotebook = defineTool({
  name: 'read_notebook',
  title: 'Read Jupyter notebook',
  description:
    'Read a Jupyter notebook: cells, source, outputs, as much as fits (`next` is the call for the rest). Plots are placeholders: see them with read_output. format: outline (a line per cell), source (no outputs), raw (nbformat JSON).',
  inputSchema: {
    path: pathParam,
    format: z
      .enum(['full', 'outline', 'source', 'raw'])
      .optional()
      .describe('"full" (default), "outline", "source" or "raw".'),
    start_index: z.number().int().min(0).optional().describe('First cell to return (default 0).'),
    limit: z.number().int().min(1).optional().describe('Max cells (default: what fits).'),
    include_outputs: z.boolean().optional().describe('false: as format "source".'),
  },
  outputSchema: {
    path: z.string().describe('Notebook path relative to the workspace root.'),
    store: z.enum(['file', 'editor']).describe('Where it was read from: the open editor document or the file.'),
    version: z.string().describe('Version token of what was read; write_notebook checks it so changes made since are not overwritten.'),
    cell_count: z.number().describe('Total number of cells in the notebook.'),
    start_index: z.number().describe('Index of the first cell returned.'),
    returned: z.number().describe('Number of cells returned in full (in notebook.cells, or outline lines for format "outline").'),
    notebook: looseObject.optional().describe('nbformat, kernel metadata and `cells` (this page): index, id, cell_type, source, execution_count, outputs.'),
    outline: z.array(z.string()).optional().describe('One line per cell: all of them for format "outline"; otherwise the cells after notebook.cells that did not fit.'),
    note: z.string().optional().describe('What this page holds and how to read the rest.'),
    next: z
      .object({ tool: z.string(), arguments: looseObject })
      .optional()
      .describe('The call that returns the next page, when cells remain.'),
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
    const format = args.include_outputs === false && (args.format ?? 'full') === 'full' ? 'source' : (args.format ?? 'full');
    const base = { path: relativePath, store, version, cell_count: total, start_index: start };
    const budget = ctx.limits.maxResultChars - reserve(relativePath) - JSON.stringify(base).length;
    // The next page keeps the caller's format and what is left of its limit.
    const nextCall = (nextStart: number): NextCall | undefined => {
      if (nextStart >= total) return undefined;
      const a: Record<string, unknown> = { path: relativePath };
      if (format !== 'full') a.format = format;
      a.start_index = nextStart;
      if (args.limit !== undefined) {
        if (nextStart < end) a.limit = end - nextStart;
        else a.limit = args.limit;
      }
      return { tool: 'read_notebook', arguments: a };
    };

    if (format === 'outline') {
      const page = pageOutline(notebook, start, end, budget);
      const next = nextCall(page.nextStart);
      const note = pageNote(relativePath, total, start, page.nextStart, 0, next);
      return {
        structured: { ...base, returned: page.outline.length, outline: page.outline, note, ...(next ? { next } : {}) },
        summary: `${note}\n${page.outline.join('\n')}`,
        omitJsonText: true,
      };
    }
    const head = notebookHead(notebook, format === 'raw', budget);
    const page = pageCells({ path: relativePath, notebook, start, end, limit: args.limit, budget: budget - JSON.stringify(head).length, limits: ctx.limits }, format);
    const next = nextCall(page.nextStart);
    const outlinedTo = page.nextStart + page.outline.length;
    const outlineCall: NextCall | undefined =
      page.outline.length && outlinedTo < end ? { tool: 'read_notebook', arguments: { path: relativePath, format: 'outline', start_index: outlinedTo } } : undefined;
    const note = pageNote(relativePath, total, start, page.nextStart, page.outline.length, next, outlineCall) + (format === 'source' ? ' Outputs left out (format "source").' : '');
    return {
      structured: {
        ...base,
        returned: page.cells.length,
        // read_from lets write_notebook restore what this view leaves out (the seed writes it back).
        notebook: { ...head, read_from: { path: relativePath, version, complete: start === 0 && page.nextStart === total && !page.outline.length }, cells: page.cells },
        ...(page.outline.length ? { outline: page.outline } : {}),
        note,
        ...(next ? { next } : {}),
      },
      summary: note,
      // The page's plots are placeholders for the model; the person can open them from these links.
      extra: format === 'source' ? [] : pagePlotLinks(relativePath, notebook, start, page.nextStart),
    };
  },
});

/** One sentence on what the page holds and the exact call for the rest. */
function pageNote(path: string, total: number, start: number, nextStart: number, outlined: number, next: NextCall | undefined, outlineCall?: NextCall): string {
  const shown = nextStart - start;
  if (!next && start === 0) return `${path}: all ${total} cells.`;
  let s = shown === 1 ? `${path}: cell ${start} of ${total}` : `${path}: cells ${start}-${nextStart - 1} of ${total}`;
  if (outlined) s += `; cells ${nextStart}-${nextStart + outlined - 1} outlined (one line each, not in full)`;
  s += '.';
  if (outlineCall) s += ` Outline of the cells after those: ${callText(outlineCall)}.`;
  if (next) s += ` Next page: ${callText(next)}`;
  else s += ' This is the last page.';
  return s;
}
