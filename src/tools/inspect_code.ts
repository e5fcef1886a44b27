import { z } from 'zod';
import { defineTool, ToolError } from './tool';
import { stripAnsi } from '../kernels/outputs';
import { languageName, lookBudget, lookError, lookKernelParam, lookPathParam, lookTarget, quietOptions, refuseIfRunning } from './kernelLook';

/** Room in the budget for the fields around the documentation and the text's first line. */
const ROOM = 700;
/** Completions listed at most (the total is given). */
const MAX_MATCHES = 40;

export const inspectCode = defineTool({
  name: 'inspect_code',
  title: 'Kernel docs and completions',
  description: 'Signature, docs and completions for code at a cursor, from the kernel. Runs no code.',
  inputSchema: {
    kernel_id: lookKernelParam,
    path: lookPathParam,
    code: z.string().min(1).describe('e.g. numpy.linspace'),
    cursor_pos: z.number().int().min(0).optional().describe('Default: the end.'),
    detail: z.boolean().optional().describe('Include source.'),
  },
  outputSchema: {
    kernel_id: z.string(),
    found: z.boolean().describe('The kernel knows the name at the cursor.'),
    documentation: z.string().optional().describe('Signature and docstring as the kernel gives them.'),
    completions: z.array(z.string()),
    completions_total: z.number(),
    cursor_start: z.number().describe('A completion replaces code from cursor_start to cursor_end.'),
    cursor_end: z.number(),
    note: z.string().optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  // The kernel resolves the name (a property on the way may run): refused where code may not run.
  kernelTool: true,
  async handler(args, ctx, extra) {
    const length = [...args.code].length;
    const pos = args.cursor_pos ?? length;
    if (pos > length) throw new ToolError(`cursor_pos ${pos} is past the end of the code (${length} characters). Leave it out to use the end.`);
    const t = await lookTarget(ctx, args);
    refuseIfRunning(ctx, t);
    const kernels = ctx.kernels;
    if (!kernels.inspect || !kernels.complete) throw new ToolError('This server\'s kernels do not answer inspect or complete requests.');
    let language = 'python';
    try {
      language = (await kernels.kernelLanguage?.(t.id)) ?? language;
      const doc = await kernels.inspect(t.id, args.code, pos, args.detail ? 1 : 0, quietOptions(ctx, extra));
      const comp = await kernels.complete(t.id, args.code, pos, quietOptions(ctx, extra));
      const completions = comp.matches.slice(0, MAX_MATCHES);
      let documentation = doc.found ? stripAnsi(String(doc.data['text/plain'] ?? '')) : '';
      const room = lookBudget(ctx) - ROOM - JSON.stringify(completions).length;
      let note: string | undefined;
      if (Buffer.byteLength(JSON.stringify(documentation)) > room) {
        documentation = cutUtf8(documentation, room) + '\n…';
        note = `Documentation cut to fit the result size: ask for a narrower name, or read it with execute_cell (help(name)).`;
      }
      if (!doc.found && !comp.matches.length) {
        note = `The ${languageName(language)} kernel knows nothing at position ${pos}: check the name (defined in the kernel? imported?), or put cursor_pos inside it.`;
      }
      const structured = {
        kernel_id: t.id,
        found: doc.found,
        ...(documentation ? { documentation } : {}),
        completions,
        completions_total: comp.matches.length,
        cursor_start: comp.cursor_start,
        cursor_end: comp.cursor_end,
        ...(note ? { note } : {}),
      };
      const head = doc.found ? `Kernel ${t.id} documents the name at position ${pos}` : `Kernel ${t.id} has no documentation at position ${pos}`;
      return {
        structured,
        summary: `${head}; ${comp.matches.length} completion${comp.matches.length === 1 ? '' : 's'}${comp.matches.length > MAX_MATCHES ? ` (first ${MAX_MATCHES} listed)` : ''}.${note ? ` ${note}` : ''}`,
      };
    } catch (e) {
      throw lookError(ctx, t, e);
    }
  },
});

/** The longest prefix of `s` whose JSON string takes at most `bytes` bytes (never splits a pair). */
function cutUtf8(s: string, bytes: number): string {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(JSON.stringify(s.slice(0, mid))) <= bytes) lo = mid;
    else hi = mid - 1;
  }
  const end = lo > 0 && /[\uD800-\uDBFF]/.test(s[lo - 1]) ? lo - 1 : lo;
  return s.slice(0, end);
}
