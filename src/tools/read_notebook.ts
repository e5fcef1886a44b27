import { z } from 'zod';
import { defineTool, resultSize, ToolError } from './tool';
import { looseObject, pathParam } from './schemas';
import { callText, notebookHead, pageCells, pageOutline, type NextCall } from './notebookView';
import { OUTLINE_LEGEND } from '../notebooks/outline';
import { pagePlotLinks } from './plotLinks';
import { noteRead } from './cellGuard';

// A result is the page (cells or outline lines) plus fields around it: base fields, the kernel
// metadata, read_from, `next` and the note. Their size is measured with the longest note and
// call the page could get (every index as long as the cell count), plus this slack.
const SLACK = 40;

export const readNotebook = defineTool({
  name: 'read_notebook',
  title: 'Jupyter notebook reader',
  description:
    'Read a Jupyter notebook, open or not: cells and outputs; a big one comes as its outline first (`next` is the call for the rest). Plots are placeholders (read_output shows them). format: outline, source (no outputs), raw (nbformat).',
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
    outline: z.array(z.string()).optional().describe('One line per cell: for format "outline", and when a notebook is too big to read whole (the first read gives its outline).'),
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
    // Only the path: the whole notebook when it fits, else its overview (the outline first).
    const firstRead = args.format === undefined && args.include_outputs === undefined && args.start_index === undefined && args.limit === undefined;
    const base = { path: relativePath, store, version, cell_count: total, start_index: start };
    // The next page keeps the caller's format and what is left of its limit.
    const nextCall = (nextStart: number, fmt: string = format): NextCall | undefined => {
      if (nextStart >= total) return undefined;
      const a: Record<string, unknown> = { path: relativePath };
      if (fmt !== 'full') a.format = fmt;
      a.start_index = nextStart;
      if (args.limit !== undefined) {
        if (nextStart < end) a.limit = end - nextStart;
        else a.limit = args.limit;
      }
      return { tool: 'read_notebook', arguments: a };
    };
    // Characters left for the page once the fields around it are counted at their longest.
    const room = (around: Record<string, unknown>, note: string, next?: NextCall) =>
      ctx.limits.maxResultChars - resultSize(JSON.stringify({ ...base, returned: total, ...around, note, ...(next ? { next } : {}) })) - SLACK;
    const longest = nextCall(Math.max(start + 1, total - 1), 'outline');

    if (format === 'outline') {
      const page = pageOutline(notebook, start, end, room({ outline: [] }, outlineNote(relativePath, total, start, total - 1, longest), longest));
      // What a page shows (in full or as outline lines) is what the session has now seen.
      noteRead(ctx.session, relativePath, notebook, start, page.nextStart);
      const next = nextCall(page.nextStart);
      const note = outlineNote(relativePath, total, start, page.nextStart, next);
      return {
        structured: { ...base, returned: page.outline.length, outline: page.outline, note, ...(next ? { next } : {}) },
        summary: `${note}\n${page.outline.join('\n')}`,
        omitJsonText: true,
      };
    }
    const head = notebookHead(notebook, format === 'raw', ctx.limits.maxResultChars);
    const view = (cells: Record<string, unknown>[], complete: boolean) => ({ ...head, read_from: { path: relativePath, complete }, cells });
    const pageRoom = room({ notebook: view([], false) }, pageNote(relativePath, total, total - 1, total, longest), longest);
    const page = pageCells({ path: relativePath, notebook, start, end, limit: args.limit, budget: pageRoom, limits: ctx.limits }, format);
    if (firstRead && page.nextStart < total) {
      const first = overview(relativePath, notebook, base, view, room, ctx.limits);
      noteRead(ctx.session, relativePath, notebook, 0, first.structured.outline.length);
      return first;
    }
    noteRead(ctx.session, relativePath, notebook, start, page.nextStart);
    const next = nextCall(page.nextStart);
    const note = pageNote(relativePath, total, start, page.nextStart, next) + (format === 'source' ? ' Outputs left out (format "source").' : '');
    // read_from lets write_notebook restore what this view leaves out (the seed writes it back).
    const structured = { ...base, returned: page.cells.length, notebook: view(page.cells, start === 0 && page.nextStart === total), note, ...(next ? { next } : {}) };
    const { note: _n, ...rest } = structured;
    return {
      structured,
      summary: `${note}\n${JSON.stringify(rest)}`,
      omitJsonText: true,
      // The page's plots are placeholders for the model; the person can open them from these links.
      extra: format === 'source' ? [] : pagePlotLinks(relativePath, notebook, start, page.nextStart),
    };
  },
});

type Base = { path: string; store: 'file' | 'editor'; version: string; cell_count: number; start_index: number };

/**
 * The first read of a notebook too big to read whole in one answer: its outline, as far as it
 * fits (the rest is `next`); when the whole outline fits, the first cells in full in the room
 * left (`next` is then the following page in full). A model sees what the notebook holds and
 * where each cell is before it reads any cell in full.
 */
function overview(
  path: string,
  notebook: Parameters<typeof pageCells>[0]['notebook'],
  base: Base,
  view: (cells: Record<string, unknown>[], complete: boolean) => Record<string, unknown>,
  room: (around: Record<string, unknown>, note: string, next?: NextCall) => number,
  limits: Parameters<typeof pageCells>[0]['limits'],
) {
  const total = notebook.cells.length;
  const outlineNext = (k: number): NextCall => ({ tool: 'read_notebook', arguments: { path, format: 'outline', start_index: k } });
  const fullNext = (k: number): NextCall => ({ tool: 'read_notebook', arguments: { path, start_index: k } });
  const longest = outlineNext(total - 1);
  const budget = room({ notebook: view([], false), outline: [] }, overviewNote(path, total, total - 1, total - 1, longest), longest);
  const ol = pageOutline(notebook, 0, total, budget);
  let cells: Record<string, unknown>[] = [];
  if (ol.nextStart === total) {
    const used = resultSize(JSON.stringify(ol.outline));
    cells = pageCells({ path, notebook, start: 0, end: total, budget: budget - used, limits, atLeastOne: false }, 'full').cells;
  }
  const next = ol.nextStart < total ? outlineNext(ol.nextStart) : cells.length < total ? fullNext(cells.length) : undefined;
  const note = overviewNote(path, total, ol.nextStart, cells.length, next);
  const structured = { ...base, returned: cells.length, notebook: view(cells, false), outline: ol.outline, note, ...(next ? { next } : {}) };
  return {
    structured,
    summary: `${note}\n${ol.outline.join('\n')}${cells.length ? `\nCells in full: ${JSON.stringify(cells)}` : ''}`,
    omitJsonText: true,
  };
}

function overviewNote(path: string, total: number, outlined: number, full: number, next: NextCall | undefined): string {
  const one = (k: number) => `read_notebook {"path":${JSON.stringify(path)},"start_index":${k},"limit":1}`;
  let s = `${path}: ${total} cells, too big to read whole in one answer. `;
  s += outlined >= total ? 'Its whole outline is below' : `Outline of cells 0-${outlined - 1} below; the rest of the outline: ${callText(next!)}`;
  if (full) s += `, and cells 0-${full - 1} in full; next in full: ${callText(next!)}.`;
  else s += outlined >= total ? `; the cells in full from the first: ${callText(next!)}.` : '.';
  s += ` Read any cell in full with ${one(Math.min(full, total - 1))} (or a range: start_index and limit), or its outputs with read_output. ${OUTLINE_LEGEND}`;
  return s;
}

/** What an outline page holds and the exact call for the rest. */
function outlineNote(path: string, total: number, start: number, nextStart: number, next: NextCall | undefined): string {
  return `${pageNote(path, total, start, nextStart, next)} ${OUTLINE_LEGEND}`;
}

/** One sentence on what the page holds and the exact call for the rest. */
function pageNote(path: string, total: number, start: number, nextStart: number, next: NextCall | undefined): string {
  const shown = nextStart - start;
  if (!next && start === 0) return `${path}: all ${total} cells.`;
  let s = shown === 1 ? `${path}: cell ${start} of ${total}.` : `${path}: cells ${start}-${nextStart - 1} of ${total}.`;
  if (next) s += ` Next page: ${callText(next)}`;
  else s += ' This is the last page.';
  return s;
}
