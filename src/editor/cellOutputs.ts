// The conversions between VS Code cell outputs (what the editor shows and the ipynb serializer
// saves) and nbformat outputs (what tools return). They mirror VS Code's ipynb serializer, so what
// tools return is what VS Code saves. Used for the editor's kernels (jupyterExecute.ts,
// cellRunner.ts) and our own controller (controller.ts).
import * as vscode from 'vscode';
import type { Output } from '../notebooks/nbformat';

export const STDOUT_MIMES = ['application/vnd.code.notebook.stdout', 'application/x.notebook.stream.stdout'];
export const STDERR_MIMES = ['application/vnd.code.notebook.stderr', 'application/x.notebook.stream.stderr'];
export const ERROR_MIME = 'application/vnd.code.notebook.error';
const TEXT_MIMES = ['text/plain', 'text/markdown', 'text/html', 'text/latex'];

const decoder = new TextDecoder();

/** One output item's data as nbformat stores it: text, base64 for images, parsed JSON. */
function mimeValue(mime: string, data: Uint8Array): unknown {
  if (!data) return '';
  try {
    if (mime.startsWith('text/') || TEXT_MIMES.includes(mime)) return decoder.decode(data);
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') return Buffer.from(data).toString('base64');
    if (mime.toLowerCase().includes('json')) {
      const s = decoder.decode(data);
      return s.length ? JSON.parse(s) : s;
    }
    return decoder.decode(data);
  } catch {
    return '';
  }
}

interface VscodeLikeOutput {
  items: readonly { mime: string; data: Uint8Array }[];
  metadata?: Record<string, unknown>;
}

/** A VS Code cell output (or a Jupyter API output) as an nbformat output. */
export function outputFromVscode(out: VscodeLikeOutput): Output {
  const meta = (out.metadata ?? {}) as { outputType?: string; metadata?: Record<string, unknown>; executionCount?: unknown; originalError?: Output };
  const items = out.items ?? [];
  const isStream = items.length > 0 && items.every((i) => STDOUT_MIMES.includes(i.mime) || STDERR_MIMES.includes(i.mime));
  const errorItem = items.find((i) => i.mime === ERROR_MIME);
  if (meta.outputType === 'error' || (!meta.outputType && errorItem)) {
    const original = meta.originalError;
    let err: { name?: string; message?: string; stack?: string } = {};
    try {
      err = errorItem?.data ? JSON.parse(decoder.decode(errorItem.data)) : {};
    } catch {
      err = {};
    }
    const traceback = Array.isArray(original?.traceback) ? original.traceback.map(String) : (err.stack || err.message || '').split('\n');
    return {
      output_type: 'error',
      ename: String(original?.ename ?? err.name ?? ''),
      evalue: String(original?.evalue ?? err.message ?? ''),
      traceback,
    };
  }
  if (meta.outputType === 'stream' || (!meta.outputType && isStream)) {
    const name = items.length && STDERR_MIMES.includes(items[0].mime) ? 'stderr' : 'stdout';
    const text = items
      .filter((i) => STDOUT_MIMES.includes(i.mime) || STDERR_MIMES.includes(i.mime))
      .map((i) => decoder.decode(i.data))
      .join('');
    return { output_type: 'stream', name, text };
  }
  const data: Record<string, unknown> = {};
  for (const i of items) data[i.mime] = mimeValue(i.mime, i.data);
  const metadata = meta.metadata && typeof meta.metadata === 'object' ? { ...meta.metadata } : {};
  if (meta.outputType === 'execute_result') {
    return { output_type: 'execute_result', data, metadata, execution_count: typeof meta.executionCount === 'number' ? meta.executionCount : null };
  }
  return { output_type: 'display_data', data, metadata };
}

/** VS Code cell outputs as nbformat outputs (consecutive stream outputs of one name merged). */
export function outputsFromVscode(outs: readonly VscodeLikeOutput[]): Output[] {
  const result: Output[] = [];
  for (const o of outs) {
    const c = outputFromVscode(o);
    const last = result[result.length - 1];
    if (c.output_type === 'stream' && last?.output_type === 'stream' && last.name === c.name) last.text = String(last.text) + String(c.text);
    else result.push(c);
  }
  return result;
}

// Richest first, as VS Code's ipynb deserializer orders output items (the editor shows the first it can render).
const DISPLAY_ORDER = [
  'application/vnd.*',
  'application/vdom.*',
  'application/geo+json',
  'application/x-nteract-model-debug+json',
  'text/html',
  'application/javascript',
  'image/gif',
  'text/latex',
  'text/markdown',
  'image/png',
  'image/svg+xml',
  'image/jpeg',
  'application/json',
  'text/plain',
];

function displayRank(mime: string): number {
  const i = DISPLAY_ORDER.findIndex((m) => (m.endsWith('.*') ? mime.startsWith(m.slice(0, -1)) : m === mime));
  return i < 0 ? DISPLAY_ORDER.length : i;
}

function joinText(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join('') : typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function itemFromJupyter(mime: string, value: unknown): vscode.NotebookCellOutputItem {
  if (value === undefined || value === null || value === '') return vscode.NotebookCellOutputItem.text('', mime);
  if ((mime.startsWith('text/') || TEXT_MIMES.includes(mime)) && (Array.isArray(value) || typeof value === 'string')) {
    return vscode.NotebookCellOutputItem.text(joinText(value), mime);
  }
  if (mime.startsWith('image/') && mime !== 'image/svg+xml' && typeof value === 'string') {
    return new vscode.NotebookCellOutputItem(Buffer.from(value.replace(/\s+/g, ''), 'base64'), mime);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return vscode.NotebookCellOutputItem.text(JSON.stringify(value), mime);
  return vscode.NotebookCellOutputItem.text(joinText(value), mime);
}

/** An nbformat output as a VS Code cell output, with the metadata VS Code's ipynb serializer keeps. */
export function outputToVscode(o: Output): vscode.NotebookCellOutput {
  switch (o.output_type) {
    case 'stream': {
      const text = joinText(o.text);
      const item = o.name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
      return new vscode.NotebookCellOutput([item], { outputType: 'stream' });
    }
    case 'error': {
      const traceback = Array.isArray(o.traceback) ? o.traceback.map(String) : [];
      const item = vscode.NotebookCellOutputItem.error({ name: String(o.ename ?? ''), message: String(o.evalue ?? ''), stack: traceback.join('\n') });
      return new vscode.NotebookCellOutput([item], { outputType: 'error', originalError: o });
    }
    case 'display_data':
    case 'execute_result': {
      const data = (o.data ?? {}) as Record<string, unknown>;
      const items = Object.entries(data)
        .map(([mime, v]) => itemFromJupyter(mime, v))
        .sort((a, b) => displayRank(a.mime) - displayRank(b.mime));
      const metadata: Record<string, unknown> = { outputType: o.output_type, metadata: o.metadata ? JSON.parse(JSON.stringify(o.metadata)) : {} };
      if (o.output_type === 'execute_result') metadata.executionCount = o.execution_count ?? null;
      return new vscode.NotebookCellOutput(items, metadata);
    }
    default:
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(JSON.stringify(o), 'application/json')], { outputType: String(o.output_type) });
  }
}
