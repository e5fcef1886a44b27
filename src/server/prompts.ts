// Prompts a person picks from the slash menu (VS Code: /mcp.<server>.<prompt>; Claude Code:
// /mcp__<server>__<prompt>). Each one does work on the server first, so the model starts from facts
// instead of a round of reads: the notebook's view attached, the failing cell found with its
// traceback, a tidy-up checklist computed, the plots handed over as images. Arguments are completed
// by the server (notebook paths, cell ids).
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { cellRefId, firstLine, resolveCell } from '../notebooks/cells';
import { joinSource, type Cell, type Notebook, type Output } from '../notebooks/nbformat';
import { asText, base64Bytes, capText, stripAnsi } from '../kernels/outputs';
import { fitImage } from '../kernels/imageFit';
import { notebookUri } from '../common/notebookUris';
import { completeCellId, completeNotebookPath, type CompletionSources } from './completions';
import { fence, notebookView } from './resourceViews';
import { RESOURCE_NOT_FOUND, toMcpError, type ResourceContext } from './resources';

type Message = GetPromptResult['messages'][number];

/** The prompts every session lists (the extension's server version follows them, with the tools). */
export const PROMPT_NAMES = ['explain_notebook', 'fix_failing_cell', 'tidy_notebook', 'summarize_results'] as const;

/** Images summarize_results hands over, at most (each within the image limit). */
export const MAX_PROMPT_IMAGES = 4;

export function registerPrompts(server: McpServer, ctx: ResourceContext): void {
  const src: CompletionSources = { notebooks: ctx.notebooks, changes: ctx.changes };
  const pathArg = () => completable(z.string().describe('Notebook path relative to the workspace root.'), (v) => completeNotebookPath(src, v));
  const run = (fn: () => Promise<GetPromptResult>) => fn().catch((e) => Promise.reject(toMcpError(e)));
  const read = async (path: string) => {
    if (typeof path !== 'string' || path.trim() === '') throw new McpError(ErrorCode.InvalidParams, 'Give the notebook: path, relative to the workspace root (completion lists them).');
    const info = await ctx.notebooks.resolve(path);
    if ((await ctx.notebooks.currentVersion(path)) === undefined) throw new McpError(RESOURCE_NOT_FOUND, `No notebook at ${info.relativePath}: pick one of the completions, or list_notebooks.`);
    return ctx.notebooks.read(path);
  };
  const attach = (relPath: string, nb: Readonly<Notebook>): Message => ({
    role: 'user',
    content: { type: 'resource', resource: { uri: notebookUri(relPath), mimeType: 'text/markdown', text: notebookView(relPath, nb, ctx.limits.maxResultChars) } },
  });
  const say = (text: string): Message => ({ role: 'user', content: { type: 'text', text } });

  server.registerPrompt(
    'explain_notebook',
    { title: 'Explain a notebook', description: 'Explain what a notebook does, step by step, and what its results show.', argsSchema: { path: pathArg() } },
    ({ path }) =>
      run(async () => {
        const r = await read(path);
        return {
          description: `Explain ${r.relativePath}`,
          messages: [
            attach(r.relativePath, r.notebook),
            say(
              `Explain the Jupyter notebook ${r.relativePath} (attached above) to me: its purpose, what each part does (group the cells into steps), the data it reads and where from, and what its outputs and plots show. Point out anything that looks wrong or fragile (errors in outputs, cells that were never run, hard-coded paths). If you need a cell in full, read it with read_notebook or read_output; do not change the notebook.`,
            ),
          ],
        };
      }),
  );

  server.registerPrompt(
    'fix_failing_cell',
    {
      title: 'Fix the failing cell',
      description: 'Find the cell that fails (or the one given), fix it, and re-run it to check.',
      argsSchema: {
        path: pathArg(),
        cell_id: completable(z.string().optional().describe('The cell to fix (default: the first cell with an error output).'), (v, c) => completeCellId(src, c?.arguments?.path, v)),
      },
    },
    ({ path, cell_id }) => run(async () => fixPrompt(await read(path), cell_id, ctx.limits.maxOutputChars)),
  );

  server.registerPrompt(
    'tidy_notebook',
    { title: 'Tidy a notebook', description: 'Imports to the top, empty and dead cells out, then check that it runs top to bottom after a restart.', argsSchema: { path: pathArg() } },
    ({ path }) =>
      run(async () => {
        const r = await read(path);
        return { description: `Tidy ${r.relativePath}`, messages: [attach(r.relativePath, r.notebook), say(tidyText(r.relativePath, r.notebook))] };
      }),
  );

  server.registerPrompt(
    'summarize_results',
    { title: 'Summarize results with plots', description: "Summarize a notebook's results: key numbers, tables and what each plot shows (the plots are attached).", argsSchema: { path: pathArg() } },
    ({ path }) =>
      run(async () => {
        const r = await read(path);
        const images = plots(r.notebook, ctx.limits.maxImageBytes);
        const messages: Message[] = [attach(r.relativePath, r.notebook)];
        for (const im of images.shown) {
          messages.push(say(`Plot: cell ${im.cell} output ${im.output}.`));
          messages.push({ role: 'user', content: { type: 'image', data: im.data, mimeType: im.mime } });
        }
        const more = images.total > images.shown.length ? ` ${images.total - images.shown.length} more plot(s) are not attached: see them with read_output (the view above names each).` : '';
        messages.push(
          say(
            `Summarize the results of ${r.relativePath} for a reader who has not seen it: what was computed and on what data, the key numbers and tables, and what each plot shows (${images.shown.length ? `${images.shown.length} attached above` : 'there are no image plots'}).${more} Say which results depend on cells with errors or that were never run. Do not change or run the notebook.`,
          ),
        );
        return { description: `Summarize ${r.relativePath}`, messages };
      }),
  );
  // The prompt list is fixed for the life of a session (the SDK's registerPrompt claims listChanged).
  server.server.registerCapabilities({ prompts: { listChanged: false } });
}

function errorOf(cell: Cell): Output | undefined {
  return cell.cell_type === 'code' ? ((cell.outputs ?? []) as Output[]).find((o) => o.output_type === 'error') : undefined;
}

function fixPrompt(r: { relativePath: string; notebook: Notebook }, cellId: string | undefined, maxChars: number): GetPromptResult {
  const { relativePath: path, notebook: nb } = r;
  let index: number;
  if (cellId) {
    try {
      index = resolveCell(nb, { cell_id: cellId });
    } catch {
      throw new McpError(ErrorCode.InvalidParams, `No cell "${cellId}" in ${path}: pick a cell id from the completions, or leave cell_id out to take the first failing cell.`);
    }
  } else {
    index = nb.cells.findIndex((c) => errorOf(c));
    if (index < 0) {
      return {
        description: `Find and fix the failing cell of ${path}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `No cell of ${path} has an error in its saved outputs. Run it top to bottom with execute_notebook {"path":${JSON.stringify(path)}} (it stops at the first failing cell and names it), then fix that cell with edit_cell_source or update_cell, re-run it with execute_notebook_cell, and go on until the notebook runs through. If it runs through, tell me so and change nothing.`,
            },
          },
        ],
      };
    }
  }
  const cell = nb.cells[index];
  const id = cellRefId(cell, index);
  const err = errorOf(cell);
  const tb = err ? stripAnsi(Array.isArray(err.traceback) ? err.traceback.map(String).join('\n') : `${String(err.ename)}: ${String(err.evalue)}`) : undefined;
  const before = nb.cells
    .slice(0, index)
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.cell_type === 'code')
    .map(({ c, i }) => `[${i}] id=${cellRefId(c, i)}${c.execution_count != null ? ` In [${c.execution_count}]` : ' (not run)'}: ${firstLine(c)}`);
  const text = [
    `Fix cell ${index} (id ${id}) of the notebook ${path}.`,
    '',
    'Its source:',
    fence(capText(joinSource(cell.source), Math.max(2000, maxChars))),
    tb ? `Its saved error (${String(err!.ename)}: ${String(err!.evalue)}):\n${fence(capText(tb, Math.max(2000, maxChars)), 'text')}` : 'It has no error saved in its outputs: run it first with execute_notebook_cell to see what fails.',
    before.length ? `The code cells before it (first lines; read_notebook shows them in full):\n${capText(before.join('\n'), 6000)}` : 'It is the first code cell.',
    '',
    `Steps: find the cause (an earlier cell's state may be it: check what the failing line uses); fix the cell with edit_cell_source or update_cell {"path":${JSON.stringify(path)},"cell_id":${JSON.stringify(id)}} (or the earlier cell at fault); re-run it with execute_notebook_cell {"path":${JSON.stringify(path)},"cell_id":${JSON.stringify(id)}} and check the error is gone. Change only what the fix needs, and tell me what was wrong.`,
  ].join('\n');
  return { description: `Fix cell ${index} of ${path}`, messages: [{ role: 'user', content: { type: 'text', text } }] };
}

const IMPORT = /^\s*(import\s+\w|from\s+[\w.]+\s+import\s)/;

/** The checklist of tidy_notebook, computed: where imports are, empty cells, cells not run, run order. */
function tidyText(path: string, nb: Readonly<Notebook>): string {
  const code = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cell_type === 'code');
  const firstCode = code[0]?.i;
  const lateImports = code.filter(({ c, i }) => i !== firstCode && joinSource(c.source).split('\n').some((l) => IMPORT.test(l))).map(({ c, i }) => `${i} (${cellRefId(c, i)})`);
  const empty = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => joinSource(c.source).trim() === '').map(({ c, i }) => `${i} (${cellRefId(c, i)})`);
  const notRun = code.filter(({ c }) => c.execution_count == null && joinSource(c.source).trim() !== '').map(({ c, i }) => `${i} (${cellRefId(c, i)})`);
  const counts = code.map(({ c }) => c.execution_count).filter((n): n is number => typeof n === 'number');
  const outOfOrder = counts.some((n, k) => k > 0 && n <= counts[k - 1]);
  const errors = code.filter(({ c }) => errorOf(c)).map(({ c, i }) => `${i} (${cellRefId(c, i)})`);
  const facts = [
    lateImports.length ? `- Imports outside the first code cell: cells ${lateImports.join(', ')}.` : '- All imports are in the first code cell already.',
    empty.length ? `- Empty cells: ${empty.join(', ')}.` : '- No empty cells.',
    notRun.length ? `- Code cells never run: ${notRun.join(', ')} (dead code, or the notebook was not run top to bottom).` : '',
    outOfOrder ? '- The execution counts are not in notebook order: the cells were run out of order, so the saved outputs may depend on hidden state.' : '',
    errors.length ? `- Cells with errors in their outputs: ${errors.join(', ')}.` : '',
  ].filter(Boolean);
  return [
    `Tidy the notebook ${path} (attached above). What the server found:`,
    ...facts,
    '',
    'Steps:',
    `1. Move the imports into the first code cell (one import per line, no duplicates), with edit_cell_source / update_cell and add_cell; remove them from the other cells.`,
    '2. Remove empty cells, and code that nothing uses (ask me before deleting a cell that has outputs someone may want).',
    `3. Check it runs top to bottom from a clean state: restart_kernel for its kernel, then execute_notebook {"path":${JSON.stringify(path)}}; fix what fails the same way.`,
    '4. Tell me what you changed, cell by cell. Do not change what the notebook computes.',
  ].join('\n');
}

/** The notebook's image outputs in order, the first MAX_PROMPT_IMAGES within the image limit. */
function plots(nb: Readonly<Notebook>, maxBytes: number): { shown: { cell: number; output: number; data: string; mime: string }[]; total: number } {
  const shown: { cell: number; output: number; data: string; mime: string }[] = [];
  let total = 0;
  nb.cells.forEach((c, i) => {
    ((c.outputs ?? []) as Output[]).forEach((o, j) => {
      const data = (o.data ?? {}) as Record<string, unknown>;
      const mime = (['image/png', 'image/jpeg'] as const).find((m) => typeof data[m] === 'string');
      if (!mime) return;
      total++;
      if (shown.length >= MAX_PROMPT_IMAGES) return;
      const b64 = asText(data[mime]).replace(/\s+/g, '');
      const fitted = base64Bytes(b64) <= maxBytes ? { data: b64 } : fitImage(b64, mime, maxBytes);
      if (fitted) shown.push({ cell: i, output: j, data: fitted.data, mime });
    });
  });
  return { shown, total };
}
