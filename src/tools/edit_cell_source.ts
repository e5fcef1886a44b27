import { z } from 'zod';
import { cellRefId, resolveCell } from '../notebooks/cells';
import { joinSource } from '../notebooks/nbformat';
import { defineTool, ToolError } from './tool';
import { cellIdParam, editResultShape, indexParam, overwriteParam, pathParam } from './schemas';
import { editChecked } from './cellGuard';

export const editCellSource = defineTool({
  name: 'edit_cell_source',
  title: 'Notebook cell text edit',
  description:
    'Replace exact text in the code or markdown of a notebook cell, like a file edit: old_string must occur once (or pass replace_all).',
  inputSchema: {
    path: pathParam,
    index: indexParam,
    cell_id: cellIdParam,
    old_string: z.string().min(1).describe('Exact text to replace, whitespace included.'),
    new_string: z.string().describe('Replacement text.'),
    replace_all: z.boolean().optional().describe('Replace every occurrence (default false).'),
    overwrite: overwriteParam,
  },
  outputSchema: {
    ...editResultShape,
    cell_index: z.number().describe('Index of the edited cell.'),
    cell_id: z.string().describe('Stable id of the edited cell.'),
    replacements: z.number().describe('How many occurrences were replaced.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const res = await editChecked(ctx, args.path, (nb, check) => {
      const i = resolveCell(nb, args);
      check(i, args);
      const src = joinSource(nb.cells[i].source);
      const count = src.split(args.old_string).length - 1;
      if (count === 0) {
        throw new ToolError(`old_string was not found in cell ${i} (id ${cellRefId(nb.cells[i], i)}); nothing was changed. Read the cell (read_notebook, format "source") and copy the text exactly.`);
      }
      if (count > 1 && !args.replace_all) {
        throw new ToolError(`old_string occurs ${count} times in cell ${i}; nothing was changed. Include more surrounding text to make it unique, or pass replace_all: true.`);
      }
      const next = args.replace_all ? src.split(args.old_string).join(args.new_string) : src.replace(args.old_string, () => args.new_string);
      return { edits: [{ kind: 'source', index: i, source: next }], result: { i, count: args.replace_all ? count : 1 } };
    });
    const { i, count } = res.result;
    const id = cellRefId(res.notebook.cells[i], i);
    const message = `Replaced ${count} occurrence${count === 1 ? '' : 's'} in cell ${i} (id ${id}) of notebook: ${res.relativePath}`;
    return { structured: { success: true, message, path: res.relativePath, store: res.store, cell_index: i, cell_id: id, replacements: count }, summary: message };
  },
});
