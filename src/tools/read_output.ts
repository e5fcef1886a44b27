import { z } from 'zod';
import { asText, base64Bytes, formatBytes, pngSize, stripAnsi } from '../kernels/outputs';
import { fitImage, MAX_PIXELS, tooLargeToFit } from '../kernels/imageFit';
import { cellRefId, resolveCell } from '../notebooks/cells';
import { plotLink } from './plotLinks';
import { joinSource, type Output } from '../notebooks/nbformat';
import { defineTool, resultSize, ToolError, type ImageContent } from './tool';
import { getOwn, hasOwn } from '../common/own';
import { outputText, type TextView } from './outputText';
import { cellIdParam, indexParam, pathParam } from './schemas';
import { callText, readOutputCall, type NextCall } from './notebookView';

// Room for the fields around the text and for the summary line of the text view.
const RESERVE = 1500;
const IMAGES = ['image/png', 'image/jpeg'];

export const readOutput = defineTool({
  name: 'read_output',
  title: 'Cell output and plot view',
  description:
    "See one output of a Jupyter notebook cell: a plot or chart as an image, or long text in full, paged by offset. Without output_index: the cell's source.",
  inputSchema: {
    path: pathParam,
    index: indexParam,
    cell_id: cellIdParam,
    output_index: z.number().int().min(0).optional().describe("0-based output (default: the cell's source)."),
    mime: z.string().min(1).optional().describe('e.g. "text/html" (default: image, else text/plain).'),
    offset: z.number().int().min(0).optional().describe('First character (default 0).'),
  },
  outputSchema: {
    path: z.string(),
    cell_id: z.string().describe('Stable cell id.'),
    output_index: z.number().optional(),
    mime: z.string().optional().describe('What was returned: a mime type, "stream:stdout", "error" or "source".'),
    image: z.string().optional().describe('The image, described; it follows as image content.'),
    text: z.string().optional().describe('The text, from offset.'),
    total_chars: z.number().optional().describe('Length of the whole text.'),
    next: z.object({ tool: z.string(), arguments: z.looseObject({}) }).optional().describe('The call for the rest of the text.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const { notebook, relativePath } = await ctx.notebooks.read(args.path);
    const index = resolveCell(notebook, { index: args.index, cell_id: args.cell_id });
    const cell = notebook.cells[index];
    const cellId = cell.id ?? `index:${index}`;
    const base = { path: relativePath, index, cell_id: cellId };
    let text: TextView;
    let what: string;
    let kinds: string[] | undefined;
    let outputType: string | undefined;

    if (args.output_index === undefined) {
      if (args.mime) throw new ToolError('mime applies to an output: give output_index too (read_notebook shows each output with its index).');
      text = joinSource(cell.source);
      what = 'source';
    } else {
      const outputs = (cell.cell_type === 'code' ? (cell.outputs ?? []) : []) as Output[];
      if (args.output_index >= outputs.length) {
        throw new ToolError(
          outputs.length === 0
            ? `Cell ${index} of ${relativePath} has no outputs${cell.cell_type === 'code' ? ' (run it with execute_notebook_cell)' : ` (it is a ${cell.cell_type} cell)`}. Leave output_index out to read its source.`
            : `Cell ${index} of ${relativePath} has ${outputs.length} output${outputs.length === 1 ? '' : 's'}: output_index 0 to ${outputs.length - 1}.`,
        );
      }
      const o = outputs[args.output_index];
      outputType = o.output_type;
      const data = (o.data ?? {}) as Record<string, unknown>;
      if (o.output_type === 'stream') {
        text = await outputText(o.text, 'stream');
        what = `stream:${String(o.name ?? 'stdout')}`;
      } else if (o.output_type === 'error') {
        const tb = Array.isArray(o.traceback) ? o.traceback.map(String).join('\n') : '';
        text = stripAnsi(tb || `${String(o.ename)}: ${String(o.evalue)}`);
        what = 'error';
      } else {
        kinds = Object.keys(data);
        // Own keys only: mime "constructor" or "toString" must not find Object.prototype's.
        const mime = args.mime ?? IMAGES.find((m) => typeof getOwn(data, m) === 'string') ?? (hasOwn(data, 'text/plain') ? 'text/plain' : kinds.find((k) => k.startsWith('text/') || k.includes('json') || k === 'image/svg+xml'));
        if (!mime || !hasOwn(data, mime)) {
          throw new ToolError(
            kinds.length
              ? `Output ${args.output_index} of cell ${index} has no ${args.mime ?? 'text or image'} form; it has: ${kinds.join(', ')}. Pass one of these as mime.`
              : `Output ${args.output_index} of cell ${index} (${o.output_type}) has no data to show.`,
          );
        }
        if (IMAGES.includes(mime)) {
          const b64 = asText(data[mime]).replace(/\s+/g, '');
          const image = imageFor(mime as 'image/png' | 'image/jpeg', b64, ctx.limits.maxImageBytes);
          const described = `${mime}, ${image.note}`;
          return {
            structured: { ...base, output_index: args.output_index, output_type: o.output_type, mime, kinds, image: described },
            summary: `${relativePath} cell ${index} (id ${cellId}) output ${args.output_index}: ${described}${image.content ? '; the image follows.' : '.'}`,
            // The link returns the original (the image here may be downscaled).
            extra: [...(image.content ? [image.content] : []), plotLink(relativePath, cellRefId(cell, index), args.output_index, mime)],
            omitJsonText: true,
          };
        }
        if (!TEXT_LIKE.test(mime)) {
          throw new ToolError(`Output ${args.output_index} of cell ${index}: ${mime} is binary (${formatBytes(base64Bytes(asText(data[mime])))}) and cannot be shown as text or as an image. Forms it has: ${kinds.join(', ')}.`);
        }
        text = await outputText(data[mime], mime);
        what = mime;
      }
    }

    const offset = args.offset ?? 0;
    if (offset > 0 && offset >= text.length) {
      throw new ToolError(`offset ${offset} is past the end: this text has ${text.length} characters (offset 0 to ${Math.max(0, text.length - 1)}).`);
    }
    const end = Math.min(text.length, sliceEnd(text, offset, chunkChars(text, offset, ctx.limits.maxResultChars - RESERVE)));
    const next: NextCall | undefined =
      end < text.length ? readOutputCall(relativePath, cell, index, args.output_index, { ...(args.mime ? { mime: args.mime } : {}), offset: end }) : undefined;
    const where = `${relativePath} cell ${index} (id ${cellId})${args.output_index !== undefined ? ` output ${args.output_index}` : ''} ${what}`;
    const range = offset === 0 && !next ? `all ${text.length} characters` : `characters ${offset}-${end} of ${text.length}`;
    const summary = `${where}: ${range}.${next ? ` Rest: ${callText(next)}` : ''}`;
    const page = text.slice(offset, end);
    return {
      structured: {
        ...base,
        ...(args.output_index !== undefined ? { output_index: args.output_index } : {}),
        ...(outputType ? { output_type: outputType } : {}),
        mime: what,
        ...(kinds ? { kinds } : {}),
        text: page,
        offset,
        total_chars: text.length,
        ...(next ? { next } : {}),
      },
      summary: `${summary}\n${page}`,
      omitJsonText: true,
    };
  },
});

const TEXT_LIKE = /^(text\/|application\/(json|javascript|.*\+json|.*\+xml)|image\/svg\+xml)/;

/**
 * Characters from `offset` whose JSON (escapes of newlines and quotes, multi-byte characters) fits
 * `room` in resultSize: a first guess, narrowed to what the text there actually takes.
 */
function chunkChars(text: TextView, offset: number, room: number): number {
  let chunk = Math.max(1000, Math.floor(room / 1.15));
  for (let i = 0; i < 5; i++) {
    const size = resultSize(JSON.stringify(text.slice(offset, offset + chunk)));
    if (size <= room || chunk <= 1000) break;
    chunk = Math.max(1000, Math.floor((chunk * room) / size) - 16);
  }
  return chunk;
}

/** Ends a slice at a line break when one is near, so a page does not split a line. */
function sliceEnd(text: TextView, offset: number, chunk: number): number {
  const hard = offset + chunk;
  if (hard >= text.length) return text.length;
  // Looked for in the page's second half only: lastIndexOf alone would walk back to the start of
  // a text without line breaks (tens of MB) on every page.
  const from = offset + Math.ceil(chunk / 2);
  const nl = text.slice(from, hard + 1).lastIndexOf('\n');
  return nl >= 0 && from + nl > offset + chunk / 2 ? from + nl + 1 : hard;
}

function imageFor(mime: 'image/png' | 'image/jpeg', b64: string, maxBytes: number): { content?: ImageContent; note: string } {
  const bytes = base64Bytes(b64);
  const dims = mime === 'image/png' ? pngSize(b64) : undefined;
  const size = `${dims ? `${dims.width}×${dims.height}, ` : ''}${formatBytes(bytes)}`;
  if (bytes <= maxBytes) return { content: { type: 'image', data: b64, mimeType: mime }, note: size };
  const fitted = fitImage(b64, mime, maxBytes);
  if (!fitted) {
    const huge = tooLargeToFit(b64, mime);
    if (huge) {
      return {
        note: `${huge.width}×${huge.height}, ${formatBytes(bytes)}: over the ${formatBytes(maxBytes)} image limit and too large to downscale here (${(huge.width * huge.height / 1e6).toFixed(1)} megapixels; the limit is ${MAX_PIXELS / 1e6}), so it is not shown. Re-create it smaller (e.g. savefig with a lower dpi) to see it`,
      };
    }
    return { note: `${size}: over the ${formatBytes(maxBytes)} image limit and could not be downscaled, so it is not shown (raise --max-image-kb)` };
  }
  return {
    content: { type: 'image', data: fitted.data, mimeType: mime },
    note: `${size}, downscaled to ${fitted.width}×${fitted.height} (${formatBytes(fitted.bytes)}) to fit the ${formatBytes(maxBytes)} limit`,
  };
}
