import { z } from 'zod';
import { defineTool, ToolError } from './tool';
import { renderOutputs } from '../kernels/outputs';
import { jsonBytes, lookBudget, lookKernelParam, lookPathParam, lookTarget, refuseIfRunning, requirePython, runHelper } from './kernelLook';

/** Room in the budget for the text's first line. */
const ROOM = 400;

/** A name, or a dotted path of names: no call, index or operator (the helper checks it too). */
const NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

/** Fields never cut to fit the budget (they say what the object is). */
const KEEP = new Set(['kernel_id', 'name', 'type', 'kind', 'shape', 'dtype', 'len', 'bytes', 'index', 'image', 'note']);

export const inspectVariable = defineTool({
  name: 'inspect_variable',
  title: 'Kernel variable inspection',
  description:
    'A Python kernel variable in depth: DataFrame columns, dtypes, nulls, head; array stats; dict/list items; figures as images. Changes nothing.',
  inputSchema: {
    kernel_id: lookKernelParam,
    path: lookPathParam,
    name: z.string().min(1).describe('Variable name or dotted attribute (a.b); no calls.'),
    rows: z.number().int().min(1).max(50).optional().describe('Head rows (5).'),
    describe: z.boolean().optional().describe('Add describe().'),
  },
  outputSchema: {
    kernel_id: z.string(),
    name: z.string(),
    type: z.string(),
    kind: z.string().describe('dataframe, series, index, ndarray, dict, sequence, str, bytes, scalar, module, function, class, figure, axes, image or object.'),
    shape: z.array(z.number()).optional(),
    dtype: z.string().optional(),
    len: z.number().optional(),
    bytes: z.number().optional().nullable(),
    columns: z.array(z.looseObject({})).optional().describe('DataFrame columns: name, dtype, nulls.'),
    head: z.string().optional(),
    tail: z.string().optional(),
    describe: z.string().optional(),
    stats: z.union([z.looseObject({}), z.string()]).optional().describe('Array min, max, mean, NaN count.'),
    corner: z.string().optional(),
    items: z.array(z.unknown()).optional(),
    value: z.string().optional(),
    repr: z.string().optional(),
    image: z.string().optional().describe('What the image block after the text shows.'),
    note: z.string().optional().describe('What was cut to fit, and how to see it.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  // Reads a kernel (objects' own reprs run there): refused where code may not run.
  kernelTool: true,
  async handler(args, ctx, extra) {
    const name = args.name.trim();
    if (!NAME.test(name)) {
      throw new ToolError(
        `"${args.name}" is not a variable name: inspect_variable takes a name (df) or a dotted attribute (model.coef_), never calls, indexing or operators, so it runs nothing. ` +
          'For an expression, use execute_cell.',
      );
    }
    const t = await lookTarget(ctx, args);
    refuseIfRunning(ctx, t);
    await requirePython(ctx, t, 'inspect_variable');
    const got = await runHelper(ctx, t, { op: 'inspect', name, ...(args.rows ? { rows: args.rows } : {}), ...(args.describe ? { describe: true } : {}) }, extra);
    const { image, ...fields } = got as Record<string, unknown> & { image?: string | null };
    const out: Record<string, unknown> = { kernel_id: t.id, ...fields };
    let images: ReturnType<typeof renderOutputs>['images'] = [];
    if (typeof image === 'string') {
      const r = renderOutputs([{ output_type: 'display_data', data: { 'image/png': image }, metadata: {} }], ctx.limits);
      images = r.images;
      out.image = String((r.outputs[0]?.data as Record<string, unknown> | undefined)?.['image/png'] ?? '');
    } else if (image === null) {
      out.image = 'could not be rendered (it raised or took longer than 10 s)';
    }
    const cut = fitFields(out, lookBudget(ctx) - ROOM);
    if (cut.length) {
      out.note = `Cut to fit the result size: ${cut.join(', ')}. Ask for less (rows), or look at a part with execute_cell (e.g. df.iloc[:20, :5]).`;
    }
    return {
      structured: out as { kernel_id: string; name: string; type: string; kind: string },
      summary: `${name} in kernel ${t.id}: ${String(out.type)}${Array.isArray(out.shape) ? ` of shape (${out.shape.join(', ')})` : typeof out.len === 'number' ? ` of length ${out.len}` : ''}.${out.note ? ` ${out.note}` : ''}`,
      extra: images,
    };
  },
});

/**
 * Cuts the largest cuttable fields until the compact JSON fits `budget` bytes: text keeps its
 * first whole lines, lists their first items. Returns the names of the fields cut.
 */
export function fitFields(out: Record<string, unknown>, budget: number): string[] {
  const cut = new Set<string>();
  for (let round = 0; round < 40; round++) {
    const over = jsonBytes(out) - budget;
    if (over <= 0) break;
    let key: string | undefined;
    let size = 0;
    for (const [k, v] of Object.entries(out)) {
      if (KEEP.has(k) || (typeof v !== 'string' && !Array.isArray(v))) continue;
      const s = jsonBytes(v);
      if (s > size) [key, size] = [k, s];
    }
    if (!key || size <= 2) break;
    const v = out[key];
    if (Array.isArray(v)) {
      out[key] = v.slice(0, Math.min(v.length - 1, Math.floor(v.length * Math.max(0, 1 - over / size))));
    } else {
      const s = v as string;
      let keep = s.slice(0, Math.max(0, Math.floor(s.length * Math.max(0, 1 - (over + 40) / size))));
      const nl = keep.lastIndexOf('\n');
      if (nl > 0) keep = keep.slice(0, nl);
      out[key] = keep.length ? `${keep}\n…` : '…';
    }
    cut.add(key);
  }
  return [...cut];
}
