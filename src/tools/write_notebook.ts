import { z } from 'zod';
import { validateNotebook, type Notebook } from '../notebooks/nbformat';
import { defineTool, ToolError } from './tool';
import { editResultShape, pathParam } from './schemas';
import { restoreFromView, type ViewMark } from './notebookView';
import { changedSinceSeen, noteWhole } from './cellGuard';

export const writeNotebook = defineTool({
  name: 'write_notebook',
  title: 'Whole-notebook write',
  description:
    'Write a whole Jupyter notebook (nbformat 4). Replaces one only if unchanged since this session read it (or expected_version), else needs overwrite. Prefer cell tools for small edits.',
  inputSchema: {
    path: pathParam,
    content: z.union([z.looseObject({}), z.string()]).describe('nbformat 4 notebook object, or its JSON text.'),
    expected_version: z.string().optional().describe('`version` from read_notebook (default: this session\'s last read).'),
    overwrite: z.boolean().optional().describe('Replace regardless of changes since read (default false).'),
  },
  outputSchema: {
    ...editResultShape,
    created: z.boolean().describe('True when the file did not exist before.'),
    cell_count: z.number().describe('Number of cells written.'),
    version: z.string().describe('Version token after the write.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    let content: unknown = args.content;
    if (typeof content === 'string') {
      try {
        content = JSON.parse(content);
      } catch (e) {
        throw new ToolError(`Invalid notebook format: content: not valid JSON (${(e as Error).message}). Pass the notebook object itself.`);
      }
    }
    if (content && typeof content === 'object' && (content as Record<string, unknown>).read_from) {
      // A notebook as read_notebook shows it to a model: rebuilt from the notebook it was read from.
      const mark = (content as { read_from: ViewMark }).read_from;
      const source = await ctx.notebooks.read(mark.path).catch(() => undefined);
      if (!source) throw new ToolError(`content comes from read_notebook of ${mark.path}, which can no longer be read; nothing was written. Pass a complete nbformat notebook instead.`);
      try {
        content = restoreFromView(content as Record<string, unknown>, source.notebook);
      } catch (e) {
        throw new ToolError((e as Error).message);
      }
    }
    const nb = validateNotebook(content, 'content') as Notebook;
    const info = await ctx.notebooks.resolve(args.path);
    let expected: string | null | undefined;
    if (!args.overwrite) {
      const current = await ctx.notebooks.currentVersion(info.relativePath);
      expected = args.expected_version ?? ctx.session.seen.get(info.relativePath) ?? (current === undefined ? null : undefined);
      if (expected === undefined) {
        throw new ToolError(
          `${info.relativePath} already exists and this session has not read it; nothing was written. Call read_notebook first (then write), use the cell tools, or pass overwrite: true to replace it.`,
        );
      }
    }
    const res = await ctx.notebooks.write(info.relativePath, nb, expected).catch(async (e) => {
      // The store refused a stale write: say which cells someone changed since this session read them.
      if (!(e instanceof ToolError) || !/since it was read; nothing was written/.test(e.message)) throw e;
      const now = await ctx.notebooks.read(info.relativePath).catch(() => undefined);
      const changed = now ? changedSinceSeen(ctx.session, info.relativePath, now.notebook) : [];
      if (changed.length === 0) throw e;
      throw new ToolError(`${e.message} Cells changed since this session read them: ${changed.slice(0, 10).join('; ')}${changed.length > 10 ? `; and ${changed.length - 10} more` : ''}.`);
    });
    ctx.session.seen.set(res.relativePath, res.version);
    // The session knows every cell it wrote; cells written without an id got one from the store.
    noteWhole(ctx.session, res.relativePath, nb.cells.every((c) => typeof c.id === 'string') ? nb : (await ctx.notebooks.read(res.relativePath)).notebook);
    const message = `Notebook written successfully: ${res.relativePath}`;
    return {
      structured: { success: true, message, path: res.relativePath, store: res.store, created: res.created, cell_count: nb.cells.length, version: res.version },
      summary: message,
    };
  },
});
