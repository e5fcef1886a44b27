import { z } from 'zod';
import { resolveCell } from '../notebooks/cells';
import type { CellEdit } from '../notebooks/store';
import { defineTool } from './tool';
import { cellIdParam, editResultShape, indexParam, pathParam } from './schemas';

export const clearOutputs = defineTool({
  name: 'clear_outputs',
  title: 'Notebook output clearing',
  description: 'Clear outputs and execution counts of one notebook cell, or of all cells.',
  inputSchema: { path: pathParam, index: indexParam, cell_id: cellIdParam },
  outputSchema: {
    ...editResultShape,
    cleared: z.number().describe('Number of cells whose outputs were cleared.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const res = await ctx.notebooks.edit(args.path, (nb) => {
      const targets =
        args.index !== undefined || args.cell_id !== undefined ? [resolveCell(nb, args)] : nb.cells.map((_, i) => i).filter((i) => nb.cells[i].cell_type === 'code');
      const edits: CellEdit[] = targets
        .filter((i) => nb.cells[i].cell_type === 'code' && ((nb.cells[i].outputs?.length ?? 0) > 0 || nb.cells[i].execution_count != null))
        .map((i) => ({ kind: 'outputs', index: i, outputs: [], executionCount: null }));
      return { edits, result: edits.length };
    });
    ctx.session.seen.set(res.relativePath, res.version);
    const message = `Cleared outputs of ${res.result} cell${res.result === 1 ? '' : 's'} in notebook: ${res.relativePath}`;
    return { structured: { success: true, message, path: res.relativePath, store: res.store, cleared: res.result }, summary: message };
  },
});
