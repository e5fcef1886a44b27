// What a resources/read of a notebook, a cell or an output returns. The notebook and cell views are
// Markdown a model reads as attached context: the cells in order, sources fenced, outputs as text
// (ANSI stripped, long text cut with the URI of the whole), images and other rich forms named with
// the output URI that returns them. A notebook that does not fit the budget gets its first cells in
// full, one line per following cell, and the URIs (and read_notebook call) for the rest. An output
// is returned as it is saved: images as base64 blobs with their MIME type, text forms as text.
import { asText, base64Bytes, capText, formatBytes, pngSize, stripAnsi } from '../kernels/outputs';
import { cellRefId } from '../notebooks/cells';
import { joinSource, type Cell, type Notebook, type Output } from '../notebooks/nbformat';
import { outlineCell, outlineText } from '../notebooks/outline';
import { cellUri, extensionFor, notebookUri, OUTPUT_EXTENSIONS, outputUri } from '../common/notebookUris';

/** One form of a resource: text, or a binary (an image) as base64. */
export type ResourceContent = { uri: string; mimeType: string; text: string } | { uri: string; mimeType: string; blob: string };

const BINARY_IMAGES = ['image/png', 'image/jpeg', 'image/gif'];
const JSONISH = /^application\/(.*\+)?json$|^application\/vnd\..*json$/;

interface Caps {
  source: number;
  output: number;
  /** Outputs named in one line each, their text left out (a cell too big for the page). */
  namesOnly?: boolean;
}

/** A fence longer than any run of backticks in the text, so a source holding ``` stays inside. */
export function fence(text: string, lang = ''): string {
  let longest = 2;
  for (const m of text.matchAll(/`{3,}/g)) longest = Math.max(longest, m[0].length);
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text}${text.endsWith('\n') ? '' : '\n'}${f}`;
}

function language(nb: Readonly<Notebook>): string {
  const meta = nb.metadata ?? {};
  const li = meta.language_info as { name?: unknown } | undefined;
  const ks = meta.kernelspec as { language?: unknown } | undefined;
  const lang = typeof li?.name === 'string' ? li.name : typeof ks?.language === 'string' ? ks.language : '';
  return /^[A-Za-z0-9_+-]{1,30}$/.test(lang) ? lang.toLowerCase() : '';
}

/** One line naming an image form: its size and the URI that returns it. */
function imageLine(mime: string, b64: string, uri: string): string {
  const clean = b64.replace(/\s+/g, '');
  const dims = mime === 'image/png' ? pngSize(clean) : undefined;
  return `${mime}${dims ? ` ${dims.width}×${dims.height}` : ''}, ${formatBytes(base64Bytes(clean))}: ${uri}`;
}

/** The Markdown of one output: its kind, its text (capped), and each other form named with its URI. */
function outputMarkdown(path: string, cellId: string, o: Output, i: number, caps: Caps): string {
  const uri = (ext?: string) => outputUri(path, cellId, i, ext);
  const more = (offset: number) => `the whole text: ${uri('txt')} (from character ${offset})`;
  if (o.output_type === 'stream') {
    const text = stripAnsi(asText(o.text));
    const head = `Output ${i} · stream ${String(o.name ?? 'stdout')}, ${text.length} characters`;
    return caps.namesOnly ? `${head}: ${uri('txt')}` : `${head}\n${fence(capText(text, caps.output, more), 'text')}`;
  }
  if (o.output_type === 'error') {
    const head = `Output ${i} · error ${String(o.ename ?? 'Error')}: ${stripAnsi(String(o.evalue ?? '')).slice(0, 200)}`;
    if (caps.namesOnly) return `${head} (traceback: ${uri('txt')})`;
    const tb = Array.isArray(o.traceback) ? o.traceback.map(String).join('\n') : '';
    return `${head}\n${fence(capText(stripAnsi(tb || `${String(o.ename)}: ${String(o.evalue)}`), caps.output, more), 'text')}`;
  }
  const data = (o.data ?? {}) as Record<string, unknown>;
  const lines = [`Output ${i} · ${o.output_type}${o.output_type === 'execute_result' && o.execution_count != null ? ` Out[${String(o.execution_count)}]` : ''}`];
  const image = BINARY_IMAGES.find((m) => typeof data[m] === 'string');
  if (image) lines.push(`- ${imageLine(image, data[image] as string, uri(extensionFor(image)))}`);
  // The text a model reads: text/plain, else Markdown or LaTeX (a table's HTML is named, not shown).
  const shown = caps.namesOnly ? undefined : ['text/plain', 'text/markdown', 'text/latex'].find((m) => m in data);
  const plainOfImage = shown === 'text/plain' && image;
  for (const [mime, v] of Object.entries(data)) {
    if (mime === image) continue;
    const raw = typeof v === 'string' || Array.isArray(v) ? asText(v) : JSON.stringify(v);
    if (mime === shown && !plainOfImage) {
      lines.push(fence(capText(stripAnsi(raw), caps.output, (offset) => `the whole text: ${uri(extensionFor(mime))} (from character ${offset})`), mime === 'text/plain' ? 'text' : ''));
    } else if (BINARY_IMAGES.includes(mime)) {
      lines.push(`- also ${imageLine(mime, raw, uri(extensionFor(mime)))}`);
    } else {
      // Forms without an extension of their own (Plotly, Vega-Lite JSON) come with the output URI: every form.
      const ext = extensionFor(mime);
      lines.push(`- ${mime === 'text/plain' ? 'text/plain' : `also ${mime}`}, ${raw.length} characters: ${uri(ext)}`);
    }
  }
  return lines.join('\n');
}

function cellMarkdown(path: string, nb: Readonly<Notebook>, index: number, caps: Caps): string {
  const cell = nb.cells[index];
  const id = cellRefId(cell, index);
  const src = joinSource(cell.source);
  const head = [`## Cell ${index} · ${cell.cell_type} · id ${id}`];
  if (cell.cell_type === 'code') head.push(cell.execution_count != null ? `In [${cell.execution_count}]` : 'not run');
  const parts = [head.join(' · ')];
  const cut = (offset: number) => `the whole source: ${cellUri(path, id)} (from character ${offset})`;
  if (src !== '') parts.push(fence(capText(src, caps.source, cut), cell.cell_type === 'code' ? language(nb) : cell.cell_type === 'markdown' ? 'markdown' : ''));
  const outputs = (cell.cell_type === 'code' ? (cell.outputs ?? []) : []) as Output[];
  outputs.forEach((o, i) => parts.push(outputMarkdown(path, id, o, i, caps)));
  return parts.join('\n');
}

/** A cell at the size that fits `budget`: normal caps, else shorter, else outputs named only. */
function fittedCell(path: string, nb: Readonly<Notebook>, index: number, budget: number, normal: Caps): string {
  let text = cellMarkdown(path, nb, index, normal);
  for (const caps of [
    { source: Math.floor(budget / 3), output: 300 },
    { source: Math.floor(budget / 4), output: 200, namesOnly: true },
    { source: 1000, output: 200, namesOnly: true },
  ]) {
    if (text.length <= budget) break;
    text = cellMarkdown(path, nb, index, caps);
  }
  return text;
}

function notebookHeading(path: string, nb: Readonly<Notebook>): string {
  const meta = nb.metadata ?? {};
  const ks = meta.kernelspec as { name?: unknown; display_name?: unknown } | undefined;
  const li = meta.language_info as { name?: unknown; version?: unknown } | undefined;
  const kernel = typeof ks?.display_name === 'string' ? ks.display_name : typeof ks?.name === 'string' ? ks.name : undefined;
  const lang = typeof li?.name === 'string' ? `${li.name}${typeof li.version === 'string' ? ` ${li.version}` : ''}` : undefined;
  const facts = [`${nb.cells.length} cell${nb.cells.length === 1 ? '' : 's'}`, kernel && `kernel ${kernel}`, lang].filter(Boolean);
  return `# ${path}\nJupyter notebook · ${facts.join(' · ')} · ${notebookUri(path)}\nWith tools: read_notebook {"path":${JSON.stringify(path)}}; the raw .ipynb: ${notebookUri(path, 'ipynb')}`;
}

/**
 * The notebook as Markdown, at most about `budget` characters: the cells in full while they fit
 * (at least one), then one outline line per following cell while those fit, then where the rest is.
 */
export function notebookView(path: string, nb: Readonly<Notebook>, budget: number): string {
  const parts = [notebookHeading(path, nb)];
  let used = parts[0].length;
  const reserve = 400 + 2 * path.length;
  const room = Math.max(2000, budget - reserve);
  const normal: Caps = { source: Math.floor(room / 2), output: Math.max(500, Math.floor(room / 16)) };
  const cells: string[] = [];
  let i = 0;
  for (; i < nb.cells.length; i++) {
    const text = i === 0 ? fittedCell(path, nb, 0, room - used, normal) : cellMarkdown(path, nb, i, normal);
    if (i > 0 && used + text.length + 2 > room) break;
    cells.push(text);
    used += text.length + 2;
  }
  if (i === nb.cells.length) return [...parts, ...cells].join('\n\n');
  // Not all fit: the full cells keep at most 70% of the view, the outline of the next ones the rest.
  while (cells.length > 1 && used > room * 0.7) used -= cells.pop()!.length + 2;
  parts.push(...cells);
  i = cells.length;
  const full = i;
  const outline: string[] = [];
  for (; i < nb.cells.length; i++) {
    const line = outlineText([outlineCell(nb.cells[i], i)]);
    if (used + line.length + 1 > room) break;
    outline.push(line);
    used += line.length + 1;
  }
  if (outline.length) parts.push(`## Cells ${full} to ${full + outline.length - 1}, one line each\n${outline.join('\n')}`);
  const next = nb.cells[full];
  parts.push(
    `[Cells ${full} to ${nb.cells.length - 1} are not shown in full to keep this view under ${budget} characters. Read one cell as ${cellUri(path, cellRefId(next, full))} (any cell id above), or with tools: read_notebook {"path":${JSON.stringify(path)},"start_index":${full}}.]`,
  );
  return parts.join('\n\n');
}

/** One cell as Markdown, with its outputs, fitted to `budget`. */
export function cellView(path: string, nb: Readonly<Notebook>, index: number, budget: number): string {
  const n = Math.max(1, ((nb.cells[index].outputs ?? []) as Output[]).length);
  const head = `# ${path}, cell ${index}\n${cellUri(path, cellRefId(nb.cells[index], index))}`;
  const room = Math.max(2000, budget - head.length - 200);
  return `${head}\n\n${fittedCell(path, nb, index, room, { source: Math.floor(room * 0.6), output: Math.max(500, Math.floor((room * 0.4) / n)) })}`;
}

/**
 * The forms of one output as resource contents: binary images as base64 blobs, the rest as text
 * (JSON forms serialized). With `ext`, only the form it names (".json": application/json, else the
 * first JSON form, e.g. Plotly's); without, every form, images and text/plain first. Throws with
 * the forms there are when the one asked for is missing.
 */
export function outputContents(path: string, cell: Cell, index: number, outputIndex: number, ext: string | undefined, requested: string): ResourceContent[] {
  const id = cellRefId(cell, index);
  const outputs = (cell.cell_type === 'code' ? (cell.outputs ?? []) : []) as Output[];
  if (outputIndex >= outputs.length) {
    throw new RangeError(
      outputs.length === 0
        ? `Cell ${id} of ${path} has no outputs${cell.cell_type === 'code' ? ' (it has not run, or its outputs were cleared)' : ` (it is a ${cell.cell_type} cell)`}.`
        : `Cell ${id} of ${path} has ${outputs.length} output${outputs.length === 1 ? '' : 's'}: outputs/0 to outputs/${outputs.length - 1}.`,
    );
  }
  const o = outputs[outputIndex];
  const forms: ResourceContent[] = [];
  const uriFor = (mime: string) => {
    const e = extensionFor(mime);
    return e ? outputUri(path, id, outputIndex, e) : outputUri(path, id, outputIndex);
  };
  if (o.output_type === 'stream') {
    forms.push({ uri: uriFor('text/plain'), mimeType: 'text/plain', text: stripAnsi(asText(o.text)) });
  } else if (o.output_type === 'error') {
    const tb = Array.isArray(o.traceback) ? o.traceback.map(String).join('\n') : '';
    forms.push({ uri: uriFor('text/plain'), mimeType: 'text/plain', text: stripAnsi(tb || `${String(o.ename)}: ${String(o.evalue)}`) });
  } else {
    for (const [mime, v] of Object.entries((o.data ?? {}) as Record<string, unknown>)) {
      if (BINARY_IMAGES.includes(mime)) forms.push({ uri: uriFor(mime), mimeType: mime, blob: asText(v).replace(/\s+/g, '') });
      else forms.push({ uri: uriFor(mime), mimeType: mime, text: typeof v === 'string' || Array.isArray(v) ? asText(v) : JSON.stringify(v) });
    }
  }
  if (ext) {
    const want = OUTPUT_EXTENSIONS[ext];
    const hit = forms.find((f) => f.mimeType === want) ?? (ext === 'json' ? forms.find((f) => JSONISH.test(f.mimeType)) : undefined) ?? (ext === 'txt' && forms.length === 1 && forms[0].mimeType === 'text/plain' ? forms[0] : undefined);
    if (!hit) {
      throw new RangeError(
        forms.length
          ? `Output ${outputIndex} of cell ${id} has no ${want} form (.${ext}); its forms: ${forms.map((f) => f.mimeType).join(', ')}. Read ${outputUri(path, id, outputIndex)} for all of them.`
          : `Output ${outputIndex} of cell ${id} (${o.output_type}) has no data.`,
      );
    }
    return [{ ...hit, uri: requested }];
  }
  const rank = (m: string) => (BINARY_IMAGES.includes(m) || m === 'image/svg+xml' ? 0 : m === 'text/plain' ? 1 : 2);
  return forms.sort((a, b) => rank(a.mimeType) - rank(b.mimeType));
}
