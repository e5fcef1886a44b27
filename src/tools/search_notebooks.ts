import { z } from 'zod';
import { stripAnsi } from '../kernels/outputs';
import { hasOwn } from '../common/own';
import { runSliced } from '../notebooks/turns';
import { matchingLines, outputTextSteps } from './outputText';
import { cellRefId } from '../notebooks/cells';
import { joinSource, type Cell, type Notebook, type Output } from '../notebooks/nbformat';
import { defineTool, resultSize, ToolError } from './tool';
import { callText, readOutputCall } from './notebookView';

/** Characters of a matching line shown (centred on the match). */
const LINE_CHARS = 160;

interface Match {
  path: string;
  cell_id: string;
  cell_index: number;
  cell_type: string;
  /** "source", or "output N". */
  in: string;
  line: number;
  text: string;
}

export const searchNotebooks = defineTool({
  name: 'search_notebooks',
  title: 'Notebook cell search',
  description:
    'Find cells whose source (or outputs) contains a text, in one Jupyter notebook or all under a folder: each matching line with its cell id, to edit or run it without reading the notebook.',
  inputSchema: {
    query: z.string().min(1).max(500).describe('Text to find (plain text, not a pattern).'),
    path: z.string().min(1).optional().describe('One notebook (default: every notebook under folder).'),
    folder: z.string().optional().describe('Folder under the workspace root (default: root), when no path.'),
    case_sensitive: z.boolean().optional().describe('Match case (default false).'),
    include_outputs: z.boolean().optional().describe('Also search text outputs (default false: sources only).'),
    limit: z.number().int().min(1).max(500).optional().describe('Maximum matching lines returned (default 50).'),
  },
  outputSchema: {
    matches: z
      .array(
        z.object({
          path: z.string().describe('Notebook path relative to the workspace root.'),
          cell_id: z.string().describe('Stable cell id (or "index:N").'),
          cell_index: z.number().describe('0-based cell position.'),
          cell_type: z.string(),
          in: z.string().describe('"source", or "output N" (0-based output index).'),
          line: z.number().describe('1-based line in the source or output text.'),
          text: z.string().describe('The matching line (long lines cut around the match).'),
        }),
      )
      .describe('Matching lines, in notebook order.'),
    notebooks_searched: z.number().describe('Notebooks read before the search ended (all of them unless truncated).'),
    notebooks_found: z.number().describe('Notebooks to search: the one named, or those under the folder (at most 500).'),
    truncated: z.boolean().describe('True when the search stopped before the end (limit reached, or the result full): more may match.'),
    skipped: z.array(z.string()).optional().describe('Notebooks that could not be read, with why.'),
    note: z.string().describe('What was searched, what was left, and what to call for more.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    if (args.query.includes('\n')) throw new ToolError('query is matched line by line: give a text without line breaks (e.g. one line of the code you look for).');
    const limit = args.limit ?? 50;
    const fold = (s: string) => (args.case_sensitive ? s : s.toLowerCase());
    const needle = fold(args.query);
    let paths: string[];
    let listTruncated = false;
    if (args.path) {
      if (args.folder !== undefined) throw new ToolError('Give path (one notebook) or folder (every notebook under it), not both.');
      paths = [args.path];
    } else {
      const listed = await ctx.notebooks.list(args.folder ?? '.', { recursive: true, limit: 500 });
      paths = listed.notebooks.map((n) => n.path);
      listTruncated = listed.truncated;
    }

    const matches: Match[] = [];
    const skipped: string[] = [];
    let truncated = false;
    let searched = 0;
    // The matches fit the result budget by themselves (each view: the JSON of a match is ≈ 120
    // characters around its line), so a large limit shortens the list instead of being cut.
    const room = ctx.limits.maxResultChars * 0.8;
    let used = 0;
    /** Adds the matching lines of one text; false once the result is full. */
    const scan = (pieces: readonly string[], at: Omit<Match, 'line' | 'text'>): Generator<void, boolean, void> =>
      matchingLines(pieces, needle, fold, (line, whole, pos) => {
        const shown = around(whole, pos, needle.length);
        const size = resultSize(JSON.stringify(shown)) + 120 + resultSize(at.path);
        if (matches.length >= limit || used + size > room) return false;
        used += size;
        matches.push({ ...at, line: line + 1, text: shown });
        return true;
      });
    // One notebook's cells, scanned in time slices (notebooks/turns.ts): a 300,000-cell notebook
    // took 0.5-0.8 s in one piece, and no other client was answered meanwhile.
    const scanNotebook = function* (notebook: Notebook, relativePath: string): Generator<void, boolean, void> {
      for (const [index, cell] of notebook.cells.entries()) {
        const at = { path: relativePath, cell_id: cellRefId(cell, index), cell_index: index, cell_type: cell.cell_type };
        if (!(yield* scan([joinSource(cell.source)], { ...at, in: 'source' }))) return false;
        if ((index & 63) === 63) yield;
        if (!args.include_outputs || cell.cell_type !== 'code') continue;
        for (const [k, o] of ((cell.outputs ?? []) as Output[]).entries()) {
          const pieces = yield* outputTextOf(o);
          if (pieces !== undefined && !(yield* scan(pieces, { ...at, in: `output ${k}` }))) return false;
        }
      }
      return true;
    };
    for (const p of paths) {
      let read;
      try {
        read = await ctx.notebooks.read(p);
      } catch (e) {
        // One notebook that does not parse must not hide the matches of the others.
        if (args.path) throw e;
        skipped.push(`${p}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      searched++;
      const { notebook, relativePath } = read;
      if (!(await runSliced(scanNotebook(notebook, relativePath)))) {
        truncated = true;
        break;
      }
    }

    const found = paths.length;
    const where = args.path
      ? paths[0]
      : `${truncated ? `${searched} of ` : ''}${found}${listTruncated ? '+' : ''} notebook${found === 1 ? '' : 's'} under ${args.folder ?? 'the workspace root'}`;
    const why = matches.length >= limit ? `the limit of ${limit} lines` : 'as many lines as fit in one result';
    const head =
      matches.length === 0
        ? `No line ${args.include_outputs ? 'of a source or output' : 'of a cell source'} contains "${args.query}" in ${where}.${args.include_outputs ? '' : ' Pass include_outputs: true to search outputs too.'}`
        : `${matches.length}${truncated ? '+' : ''} matching line${matches.length === 1 ? '' : 's'} for "${args.query}" in ${where}${truncated ? ` (stopped at ${why}: more may match; for more pass a larger limit${matches.length >= limit && limit < 500 ? ' (up to 500)' : ''}, a path or folder, or a more specific query)` : ''}.`;
    const first = matches[0];
    const hint = first ? ` Read a whole cell with read_output, e.g. ${callText(readOutputCall(first.path, { id: first.cell_id.startsWith('index:') ? undefined : first.cell_id } as Cell, first.cell_index, undefined))}.` : '';
    const listNote = listTruncated ? ['Only the first 500 notebooks under the folder were searched: name a sub-folder to search the rest.'] : [];
    const notes = [...listNote, ...(skipped.length ? [`Not searched (could not be read): ${skipped.join('; ')}`] : [])];
    // The advice is in both views: VS Code's and Claude Code's models read only structuredContent
    // (which lists the unreadable notebooks in `skipped`).
    const note = [head + hint, ...listNote, ...(skipped.length ? [`${skipped.length} notebook${skipped.length === 1 ? '' : 's'} could not be read: see skipped.`] : [])].join(' ');
    const lines = matches.map((m) => `${m.path} [${m.cell_index}] ${m.cell_id} ${m.in}:${m.line}: ${m.text}`);
    return {
      structured: { matches, notebooks_searched: searched, notebooks_found: found, truncated, ...(skipped.length ? { skipped } : {}), note },
      summary: [head, ...lines].join('\n') + (hint ? `\n${hint.trim()}` : '') + (notes.length ? `\n${notes.join('\n')}` : ''),
      omitJsonText: true,
    };
  },
});

/** The text of an output as the model reads it, in pieces (undefined for images and binary), as steps. */
function* outputTextOf(o: Output): Generator<void, readonly string[] | undefined, void> {
  if (o.output_type === 'stream') return (yield* outputTextSteps(o.text, 'stream')).pieces;
  if (o.output_type === 'error') return [stripAnsi([`${String(o.ename)}: ${String(o.evalue)}`, ...(Array.isArray(o.traceback) ? o.traceback.map(String) : [])].join('\n'))];
  const data = (o.data ?? {}) as Record<string, unknown>;
  const mime = hasOwn(data, 'text/plain') ? 'text/plain' : hasOwn(data, 'text/markdown') ? 'text/markdown' : undefined;
  return mime === undefined ? undefined : (yield* outputTextSteps(data[mime], mime)).pieces;
}

/** The line, or LINE_CHARS of it around the match. */
function around(line: string, pos: number, len: number): string {
  if (line.length <= LINE_CHARS) return line;
  const start = Math.max(0, Math.min(pos - Math.floor((LINE_CHARS - len) / 2), line.length - LINE_CHARS));
  return `${start > 0 ? '…' : ''}${line.slice(start, start + LINE_CHARS)}${start + LINE_CHARS < line.length ? '…' : ''}`;
}
