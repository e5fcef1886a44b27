import { z } from 'zod';
import { cellRefId, resolveCell } from '../notebooks/cells';
import type { CellEdit } from '../notebooks/store';
import { defineTool, ToolError } from './tool';
import { cellIdParam, editResultShape, indexParam, overwriteParam, pathParam } from './schemas';
import { editChecked } from './cellGuard';

export const updateCell = defineTool({
  name: 'update_cell',
  title: 'Notebook cell replacement',
  description:
    'Replace a notebook cell\'s source (and optionally type or metadata); outputs are kept.',
  inputSchema: {
    path: pathParam,
    index: indexParam,
    cell_id: cellIdParam,
    source: z.string().optional().describe('New source (replaces all of it).'),
    cell_type: z.enum(['code', 'markdown', 'raw']).optional().describe('New cell type.'),
    metadata: z.looseObject({}).optional().describe('New cell metadata (replaces it).'),
    overwrite: overwriteParam,
  },
  outputSchema: {
    ...editResultShape,
    cell_index: z.number().describe('Index of the updated cell.'),
    cell_id: z.string().describe('Stable id of the updated cell.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    if (args.source === undefined && args.cell_type === undefined && args.metadata === undefined) {
      throw new ToolError('Nothing to change: give source, cell_type and/or metadata.');
    }
    const res = await editChecked(ctx, args.path, (nb, check) => {
      const i = resolveCell(nb, args);
      check(i, args);
      const edits: CellEdit[] = [];
      if (args.cell_type !== undefined && args.cell_type !== nb.cells[i].cell_type) edits.push({ kind: 'cellType', index: i, cellType: args.cell_type });
      if (args.source !== undefined) edits.push({ kind: 'source', index: i, source: args.source });
      if (args.metadata !== undefined) edits.push({ kind: 'cellMetadata', index: i, metadata: args.metadata });
      return { edits, result: i };
    });
    const i = res.result;
    const id = cellRefId(res.notebook.cells[i], i);
    const message = `Cell updated successfully in notebook: ${res.relativePath} (index ${i}, id ${id})`;
    return { structured: { success: true, message, path: res.relativePath, store: res.store, cell_index: i, cell_id: id }, summary: message };
  },
});
