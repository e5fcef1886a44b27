import { z } from 'zod';
import { cellRefId, resolveCell } from '../notebooks/cells';
import { defineTool, ToolError } from './tool';
import { cellIdParam, editResultShape, indexParam, overwriteParam, pathParam } from './schemas';
import { editChecked } from './cellGuard';

export const moveCell = defineTool({
  name: 'move_cell',
  title: 'Notebook cell move',
  description: 'Move a notebook cell (by cell_id or index) to to_index; ids do not change.',
  inputSchema: {
    path: pathParam,
    index: indexParam,
    cell_id: cellIdParam,
    to_index: z.number().int().min(0).describe('Index after the move.'),
    overwrite: overwriteParam,
  },
  outputSchema: {
    ...editResultShape,
    from_index: z.number().describe('Index before the move.'),
    to_index: z.number().describe('Index after the move.'),
    cell_id: z.string().describe('Stable id of the moved cell.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const res = await editChecked(ctx, args.path, (nb, check) => {
      const from = resolveCell(nb, args);
      check(from, args);
      if (args.to_index >= nb.cells.length) {
        throw new ToolError(`to_index ${args.to_index} is out of range: the notebook has ${nb.cells.length} cells, valid targets are 0 to ${nb.cells.length - 1}.`);
      }
      return { edits: from === args.to_index ? [] : [{ kind: 'move', from, to: args.to_index }], result: from };
    });
    const id = cellRefId(res.notebook.cells[args.to_index], args.to_index);
    const message = `Cell ${id} moved from index ${res.result} to ${args.to_index} in notebook: ${res.relativePath}`;
    return { structured: { success: true, message, path: res.relativePath, store: res.store, from_index: res.result, to_index: args.to_index, cell_id: id }, summary: message };
  },
});
