import { z } from 'zod';
import { cellRefId, resolveCell } from '../notebooks/cells';
import { defineTool } from './tool';
import { cellIdParam, editResultShape, indexParam, overwriteParam, pathParam } from './schemas';
import { editChecked } from './cellGuard';

export const removeCell = defineTool({
  name: 'remove_cell',
  title: 'Notebook cell deletion',
  description: 'Delete (remove) a notebook cell, by cell_id or index.',
  inputSchema: { path: pathParam, index: indexParam, cell_id: cellIdParam, overwrite: overwriteParam },
  outputSchema: {
    ...editResultShape,
    removed_index: z.number().describe('Index the removed cell had.'),
    removed_id: z.string().describe('Id of the removed cell.'),
    cell_count: z.number().describe('Number of cells left.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const res = await editChecked(ctx, args.path, (nb, check) => {
      const i = resolveCell(nb, args);
      check(i, args);
      return { edits: [{ kind: 'delete', index: i, count: 1 }], result: { index: i, id: cellRefId(nb.cells[i], i) } };
    });
    const message = `Cell removed successfully from notebook: ${res.relativePath} (was index ${res.result.index}, id ${res.result.id})`;
    return {
      structured: { success: true, message, path: res.relativePath, store: res.store, removed_index: res.result.index, removed_id: res.result.id, cell_count: res.notebook.cells.length },
      summary: message,
    };
  },
});
