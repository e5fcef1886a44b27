import { z } from 'zod';
import { defineTool } from './tool';
import { callText, type NextCall } from './notebookView';
import { jsonBytes, lookBudget, lookKernelParam, lookPathParam, lookTarget, refuseIfRunning, requirePython, runHelper } from './kernelLook';

/** Room in the budget for the fields around the list and the text's first line. */
const ROOM = 900;

const variableSchema = z.object({
  name: z.string(),
  type: z.string().describe('e.g. pandas.DataFrame, numpy.ndarray, list.'),
  shape: z.array(z.number()).optional(),
  len: z.number().optional(),
  bytes: z.number().optional().describe('Memory of the object itself (a container\'s items not counted).'),
  value: z.string().describe('Short one-line value (DataFrame: its columns and dtypes).'),
});
type Variable = z.infer<typeof variableSchema>;

export const listVariables = defineTool({
  name: 'list_variables',
  title: 'Kernel variable listing',
  description: 'Variables of a Python kernel: type, shape, size, short value; largest first. Changes nothing.',
  inputSchema: {
    kernel_id: lookKernelParam,
    path: lookPathParam,
    name: z.string().optional().describe('Names containing this, or a glob.'),
    type: z.string().optional().describe('e.g. DataFrame.'),
    include_hidden: z.boolean().optional().describe('Modules, functions, classes, _names too.'),
    offset: z.number().int().min(0).optional().describe('From next_offset.'),
  },
  outputSchema: {
    kernel_id: z.string(),
    total: z.number().describe('Variables matching the filters.'),
    variables: z.array(variableSchema).describe('Largest first.'),
    offset: z.number().describe('Position of the first one shown.'),
    next_offset: z.number().optional().describe('Where the next page starts, when more remain.'),
    next: z.string().optional().describe('The call for the next page.'),
    hidden: z.number().optional().describe('Modules, functions, classes and _names left out (include_hidden shows them).'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  // Reads a kernel (objects' own sizes and reprs run there): refused where code may not run.
  kernelTool: true,
  async handler(args, ctx, extra) {
    const t = await lookTarget(ctx, args);
    refuseIfRunning(ctx, t);
    await requirePython(ctx, t, 'list_variables');
    const budget = lookBudget(ctx) - ROOM;
    const filters = {
      ...(args.name ? { name: args.name } : {}),
      ...(args.type ? { type: args.type } : {}),
      ...(args.include_hidden ? { include_hidden: true } : {}),
    };
    const got = (await runHelper(ctx, t, { op: 'list', budget, offset: args.offset, ...filters }, extra)) as {
      total: number;
      offset: number;
      variables: Variable[];
      next_offset?: number;
      hidden?: number;
    };
    // The helper counts characters; the budget is bytes (non-ASCII values take more): trim if needed.
    const variables = got.variables;
    let nextOffset = got.next_offset;
    while (variables.length > 1 && jsonBytes(variables) > budget) {
      variables.pop();
      nextOffset = got.offset + variables.length;
    }
    const next: NextCall | undefined =
      nextOffset !== undefined ? { tool: 'list_variables', arguments: { ...(args.path && !args.kernel_id ? { path: args.path } : { kernel_id: t.id }), ...filters, offset: nextOffset } } : undefined;
    const shown = variables.length;
    const parts = [
      `${got.total} variable${got.total === 1 ? '' : 's'} in kernel ${t.id}${Object.keys(filters).length ? ' matching the filters' : ''}, largest first` +
        (shown < got.total ? `; ${shown} shown from position ${got.offset}` : '') +
        '.',
    ];
    if (got.hidden) parts.push(`${got.hidden} name${got.hidden === 1 ? '' : 's'} hidden (modules, functions, classes, _names): include_hidden: true shows them.`);
    if (next) parts.push(`Next page: ${callText(next)}.`);
    if (got.total === 0 && !Object.keys(filters).length) parts.push('Nothing defined yet: run cells first.');
    return {
      structured: {
        kernel_id: t.id,
        total: got.total,
        offset: got.offset,
        variables,
        ...(nextOffset !== undefined ? { next_offset: nextOffset, next: callText(next!) } : {}),
        ...(got.hidden ? { hidden: got.hidden } : {}),
      },
      summary: parts.join(' '),
    };
  },
});
