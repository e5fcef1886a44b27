import { z } from 'zod';
import { makeCell } from '../notebooks/nbformat';
import { resolveCell } from '../notebooks/cells';
import { defineTool, ToolError } from './tool';
import { cellTypeParam, editResultShape, pathParam } from './schemas';
import { editChecked } from './cellGuard';

export const addCell = defineTool({
  name: 'add_cell',
  title: 'Notebook cell insertion',
  description:
    'Add a code or markdown cell to a Jupyter notebook: at the end, at `index`, or after/before a cell id. Returns its index and stable id.',
  inputSchema: {
    path: pathParam,
    cell_type: cellTypeParam,
    source: z.string().describe('Cell source; newlines are kept.'),
    metadata: z.looseObject({}).optional().describe('Cell metadata, e.g. {"tags": ["x"]}.'),
    index: z.number().int().min(-1).optional().describe('Index the new cell gets; -1 or omitted: the end.'),
    after_cell_id: z.string().min(1).optional().describe('Insert after this cell id.'),
    before_cell_id: z.string().min(1).optional().describe('Insert before this cell id.'),
  },
  outputSchema: {
    ...editResultShape,
    cell_index: z.number().describe('Index of the new cell.'),
    cell_id: z.string().describe('Stable id of the new cell.'),
    cell_count: z.number().describe('Number of cells after the insert.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const given = [args.index !== undefined && args.index !== -1, !!args.after_cell_id, !!args.before_cell_id].filter(Boolean).length;
    if (given > 1) throw new ToolError('Give only one of index, after_cell_id and before_cell_id.');
    // Checked like the other edits only in that the session's view follows the insert.
    const res = await editChecked(ctx, args.path, (nb) => {
      let at = nb.cells.length;
      if (args.after_cell_id) at = resolveCell(nb, { cell_id: args.after_cell_id }) + 1;
      else if (args.before_cell_id) at = resolveCell(nb, { cell_id: args.before_cell_id });
      else if (args.index !== undefined && args.index !== -1) {
        if (args.index > nb.cells.length) throw new ToolError(`Insert position ${args.index} is out of range: use 0 to ${nb.cells.length} (or -1 for the end).`);
        at = args.index;
      }
      const cell = makeCell(args.cell_type, args.source, { metadata: args.metadata });
      return { edits: [{ kind: 'insert', index: at, cells: [cell] }], result: at };
    });
    const at = res.result;
    const id = res.notebook.cells[at].id as string;
    const message = `Cell added at index ${at} (id ${id}) in notebook: ${res.relativePath}`;
    return {
      structured: { success: true, message, path: res.relativePath, store: res.store, cell_index: at, cell_id: id, cell_count: res.notebook.cells.length },
      summary: message,
    };
  },
});
