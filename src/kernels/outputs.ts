// Kernel messages -> nbformat outputs (what the notebook saves), and nbformat outputs -> MCP content
// (what the model reads). The notebook keeps everything as Jupyter would save it (ANSI codes, full
// text, full images); the model gets a capped, ANSI-free rendering plus images as image content.
import type { Output } from '../notebooks/nbformat';
import type { Content, ImageContent, OutputLimits } from '../common/content';
import { fitImage, MAX_PIXELS, tooLargeToFit } from './imageFit';
import { redactDeep, redactSecrets } from '../util/log';
import { getOwn, hasOwn, setOwn } from '../common/own';

/** The parts of a Jupyter iopub message this module reads (structurally typed: no library import). */
export interface IopubMessage {
  header: { msg_type: string };
  content: Record<string, unknown>;
}

/**
 * Accumulates the outputs of one execution the way JupyterLab's output area does before saving:
 * consecutive stream chunks of the same name are merged (carriage returns and backspaces applied,
 * see collapseOverwrites), clear_output (also with wait=true) is
 * applied, update_display_data rewrites every output with that display id, and `transient` (the
 * display id) is never stored because it is not part of nbformat.
 */
export class OutputCollector {
  readonly outputs: Output[] = [];
  executionCount: number | null = null;
  private clearPending = false;
  /** display_id -> the outputs showing it (the same id can be displayed several times). */
  private displays = new Map<string, Output[]>();

  /** Handles one iopub message; returns the output it added or changed, if any. */
  handle(msg: IopubMessage): Output | undefined {
    // A registered secret (the MCP token a kernel read from its file, say) never reaches what is
    // saved nor what the model reads: redacted as it arrives.
    const c = redactDeep(msg.content ?? {});
    switch (msg.header.msg_type) {
      case 'execute_input':
        if (typeof c.execution_count === 'number') this.executionCount = c.execution_count;
        return undefined;
      case 'stream':
        return this.addStream(String(c.name ?? 'stdout'), String(c.text ?? ''));
      case 'display_data':
        return this.add({ output_type: 'display_data', data: copyData(c.data), metadata: copyData(c.metadata) }, displayId(c));
      case 'execute_result':
        if (typeof c.execution_count === 'number') this.executionCount = c.execution_count;
        return this.add(
          {
            output_type: 'execute_result',
            data: copyData(c.data),
            metadata: copyData(c.metadata),
            execution_count: typeof c.execution_count === 'number' ? c.execution_count : this.executionCount,
          },
          displayId(c),
        );
      case 'error':
        return this.add({
          output_type: 'error',
          ename: String(c.ename ?? ''),
          evalue: String(c.evalue ?? ''),
          traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
        });
      case 'clear_output':
        if (c.wait) this.clearPending = true;
        else this.clear();
        return undefined;
      case 'update_display_data': {
        const id = displayId(c);
        const targets = id ? this.displays.get(id) : undefined;
        if (!targets) return undefined;
        for (const o of targets) {
          o.data = copyData(c.data);
          o.metadata = copyData(c.metadata);
        }
        return targets[targets.length - 1];
      }
      default:
        return undefined;
    }
  }

  private clear(): void {
    this.outputs.length = 0;
    this.displays.clear();
    this.clearPending = false;
  }

  private addStream(name: string, text: string): Output {
    if (this.clearPending) this.clear();
    const last = this.outputs[this.outputs.length - 1];
    if (last && last.output_type === 'stream' && last.name === name) {
      // A carriage return or backspace only reaches back within its line: redo the last line only.
      const prev = String(last.text);
      const lineStart = prev.lastIndexOf('\n') + 1;
      // Redacted again across the join: a secret may arrive split over two chunks (it has no newline).
      last.text = prev.slice(0, lineStart) + redactSecrets(collapseOverwrites(prev.slice(lineStart) + text));
      return last;
    }
    const out: Output = { output_type: 'stream', name, text: collapseOverwrites(text) };
    this.outputs.push(out);
    return out;
  }

  private add(out: Output, id?: string): Output {
    if (this.clearPending) this.clear();
    this.outputs.push(out);
    if (id) {
      const list = this.displays.get(id) ?? [];
      list.push(out);
      this.displays.set(id, list);
    }
    return out;
  }
}

/**
 * Stream text as a terminal shows it, and as JupyterLab's output area stores it before saving:
 * "\r\n" is a newline; a carriage return goes back to the start of the line, and what follows
 * overwrites it character by character; a backspace removes the character before it. A trailing
 * "\r" is kept so that the next chunk overwrites the line. Without this, progress bars (tqdm, pip,
 * Keras) fill the notebook and the model's context with every state they went through.
 */
export function collapseOverwrites(text: string): string {
  if (!text.includes('\r') && !text.includes('\x08')) return text;
  let t = text.replace(/\r+\n/g, '\n');
  for (let before = ''; t.includes('\x08') && before !== t; ) {
    before = t;
    t = t.replace(/[^\n\x08]\x08/g, '');
  }
  if (!t.includes('\r')) return t;
  return t
    .split('\n')
    .map((line) => {
      if (!line.includes('\r')) return line;
      const parts = line.split('\r');
      let shown = '';
      for (const p of parts) shown = p + shown.slice(p.length);
      return parts[parts.length - 1] === '' ? `${shown}\r` : shown;
    })
    .join('\n');
}

function displayId(c: Record<string, unknown>): string | undefined {
  const t = c.transient as { display_id?: unknown } | undefined;
  return t && typeof t.display_id === 'string' && t.display_id ? t.display_id : undefined;
}

function copyData(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : {};
}

// ---------------------------------------------------------------------------------------------
// Rendering for the model

// CSI sequences (colours, cursor moves), OSC sequences (hyperlinks, titles) and lone escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes ANSI escape codes (tracebacks are coloured); the saved notebook keeps them. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

const IMAGE_MIMES = ['image/png', 'image/jpeg'] as const;

export interface RenderOptions {
  /**
   * Appended to a cut note: how to read the whole text (e.g. read_output with an offset). A
   * function gets the output's index and the offset of the first character left out.
   */
  moreHint?: string | ((outputIndex: number, offset: number) => string);
  /**
   * "content" (default): images become MCP image content (execution results). "placeholder": each
   * image is a one-line note naming its kind, size and how to see it (read results, where a page
   * of cells could hold dozens of plots).
   */
  images?: 'content' | 'placeholder';
  /** With images "placeholder": how to see the image of output `outputIndex` (e.g. a read_output call). */
  imageHint?: (outputIndex: number) => string;
}

export interface RenderedOutputs {
  /** The outputs for structured content: ANSI stripped, text capped, images replaced by a note. */
  outputs: Output[];
  /** One readable text for clients that read text only (empty when there was no output). */
  text: string;
  /** Images as MCP image content, in output order. */
  images: ImageContent[];
}

/** Base64 payload size in bytes (whitespace ignored). */
export function base64Bytes(b64: string): number {
  const s = b64.replace(/\s+/g, '');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((s.length * 3) / 4) - pad);
}

/** Width and height of a PNG from its header (no decoding), or undefined for anything else. */
export function pngSize(b64: string): { width: number; height: number } | undefined {
  const head = Buffer.from(b64.replace(/\s+/g, '').slice(0, 32), 'base64');
  if (head.length < 24 || head.readUInt32BE(0) !== 0x89504e47 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function asText(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join('');
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/**
 * Caps one text at about `max` characters: the head (two thirds) and the tail (one third) are
 * kept, since a log's end (the final loss, the exception) matters as much as its start, and the
 * note between them says how much was cut and how to get it. `hint` may depend on the offset of
 * the first character left out.
 */
export function capText(text: string, max: number, hint?: string | ((offset: number) => string)): string {
  if (text.length <= max) return text;
  const budget = Math.max(0, max);
  const headLen = Math.ceil((budget * 2) / 3);
  const tailLen = budget - headLen;
  const how = typeof hint === 'function' ? hint(headLen) : (hint ?? 'Print less (e.g. a slice, df.head(), or write the data to a file and read parts of it).');
  const cut = text.length - headLen - tailLen;
  const lines = countLines(text, headLen, text.length - tailLen);
  const note = `\n… [output truncated: showing ${budget} of ${text.length} characters, the first ${headLen} and the last ${tailLen}; ${cut} characters (${lines} line${lines === 1 ? '' : 's'}) cut. ${how}] …\n`;
  return text.slice(0, headLen) + note + (tailLen > 0 ? text.slice(text.length - tailLen) : '');
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Converts nbformat outputs into what the model reads: text (stream, text/plain, errors) stripped
 * of ANSI codes and capped per output at limits.maxOutputChars (head and tail kept); image/png and
 * image/jpeg as MCP image content (over limits.maxImageBytes downscaled to fit, or, when that
 * fails, a text note with the size instead), or as a placeholder with opts.images "placeholder";
 * a rich output with a text/plain form is shown as that text (the HTML of a DataFrame says the same
 * in ten times the characters); without one, text mimes are shown and others named.
 * Base64 never reaches the returned outputs or text.
 */
export function renderOutputs(outputs: readonly Output[], limits: Pick<OutputLimits, 'maxOutputChars' | 'maxImageBytes'>, opts: RenderOptions = {}): RenderedOutputs {
  const rendered: Output[] = [];
  const texts: string[] = [];
  const images: ImageContent[] = [];

  outputs.forEach((o, index) => {
    const hint = typeof opts.moreHint === 'function' ? (offset: number) => (opts.moreHint as (i: number, off: number) => string)(index, offset) : opts.moreHint;
    const cap = (s: string) => capText(stripAnsi(s), limits.maxOutputChars, hint);
    switch (o.output_type) {
      case 'stream': {
        const text = cap(asText(o.text));
        rendered.push({ output_type: 'stream', name: o.name, text });
        texts.push(o.name === 'stderr' ? `[stderr]\n${text}` : text);
        break;
      }
      case 'error': {
        const tb = Array.isArray(o.traceback) ? o.traceback.map(String).join('\n') : '';
        const text = cap(tb || `${String(o.ename)}: ${String(o.evalue)}`);
        rendered.push({ output_type: 'error', ename: o.ename, evalue: stripAnsi(String(o.evalue ?? '')), traceback: text.split('\n') });
        texts.push(text);
        break;
      }
      case 'display_data':
      case 'execute_result': {
        const data = (o.data ?? {}) as Record<string, unknown>;
        const outData: Record<string, unknown> = {};
        const parts: string[] = [];
        let shownImage = false;
        for (const mime of IMAGE_MIMES) {
          const value = getOwn(data, mime);
          if (typeof value !== 'string' || shownImage) continue;
          const b64 = value.replace(/\s+/g, '');
          const note = opts.images === 'placeholder' ? imagePlaceholder(mime, b64, opts.imageHint?.(index)) : imageContent(mime, b64, limits.maxImageBytes, images);
          outData[mime] = note;
          parts.push(note);
          shownImage = true;
        }
        const plain = getOwn(data, 'text/plain');
        if (plain !== undefined) {
          const text = cap(asText(plain));
          outData['text/plain'] = text;
          // A figure's text/plain is "<Figure size 640x480 with 1 Axes>": keep it only without an image.
          if (!shownImage) parts.push(text);
        }
        const left: string[] = [];
        for (const [mime, v] of Object.entries(data)) {
          if (hasOwn(outData, mime) || IMAGE_MIMES.includes(mime as (typeof IMAGE_MIMES)[number])) continue;
          const raw = asText(v);
          if (plain !== undefined || shownImage) {
            left.push(`${mime} (${raw.length} characters)`);
          } else if (mime.startsWith('text/') || mime.includes('json') || mime === 'image/svg+xml') {
            setOwn(outData, mime, cap(raw));
            parts.push(String(getOwn(outData, mime)));
          } else {
            setOwn(outData, mime, `[${mime} output, ${raw.length} characters]`);
            parts.push(String(getOwn(outData, mime)));
          }
        }
        const r: Output = { output_type: o.output_type, data: outData };
        // Other forms of the same value (the HTML of a table) are named, not repeated.
        if (left.length) r.also = left.join(', ');
        if (o.output_type === 'execute_result') r.execution_count = o.execution_count ?? null;
        rendered.push(r);
        if (parts.length) texts.push(o.output_type === 'execute_result' ? `Out: ${parts.join('\n')}` : parts.join('\n'));
        break;
      }
      default:
        rendered.push({ output_type: o.output_type });
    }
  });
  // Stream text usually ends with its own newline: do not add a blank line after it.
  const text = texts.reduce((acc, t) => (acc === '' ? t : acc.endsWith('\n') ? acc + t : `${acc}\n${t}`), '');
  return { outputs: rendered, text, images };
}

/** Adds an image to `images` (downscaled when over the limit) and returns the note that stands for it. */
function imageContent(mime: 'image/png' | 'image/jpeg', b64: string, maxImageBytes: number, images: ImageContent[]): string {
  const bytes = base64Bytes(b64);
  if (bytes <= maxImageBytes) {
    images.push({ type: 'image', data: b64, mimeType: mime });
    return `[${mime} image, ${formatBytes(bytes)}, returned as image content #${images.length}]`;
  }
  const fitted = fitImage(b64, mime, maxImageBytes);
  if (!fitted) {
    const huge = tooLargeToFit(b64, mime);
    return (
      `[${mime} image of ${formatBytes(bytes)}${huge ? ` at ${huge.width}×${huge.height}` : ''} not shown: larger than the ${formatBytes(maxImageBytes)} limit and ` +
      `${huge ? `too large to downscale here (${(huge.width * huge.height / 1e6).toFixed(1)} megapixels; the limit is ${MAX_PIXELS / 1e6})` : 'could not be downscaled'}. ` +
      'Make it smaller (e.g. plt.figure(figsize=(6, 4)), savefig with a lower dpi) or save it to a file.]'
    );
  }
  images.push({ type: 'image', data: fitted.data, mimeType: mime });
  return (
    `[${mime} image, ${formatBytes(bytes)} at ${fitted.fromWidth}×${fitted.fromHeight}, downscaled to ${fitted.width}×${fitted.height} ` +
    `(${formatBytes(fitted.bytes)}) to fit the ${formatBytes(maxImageBytes)} limit, returned as image content #${images.length}; the notebook keeps the original]`
  );
}

function imagePlaceholder(mime: string, b64: string, how?: string): string {
  const dims = mime === 'image/png' ? pngSize(b64) : undefined;
  return `[${mime} image${dims ? ` ${dims.width}×${dims.height}` : ''}, ${formatBytes(base64Bytes(b64))}, not included here${how ? `; to see it: ${how}` : ''}]`;
}

/** The MCP content blocks for rendered outputs: one text block (if any) then the images. */
export function toContent(r: RenderedOutputs): Content[] {
  return [...(r.text ? [{ type: 'text' as const, text: r.text }] : []), ...r.images];
}
