// The MCP resource URIs of notebooks, cells and outputs, shared by the resources layer (which
// parses them) and the tools (which put links to plots in their results). No imports: every layer
// may use it.
//
//   notebook:///<path>.ipynb.md                                the notebook's model-ready Markdown view
//   notebook:///<path>.ipynb                                   the .ipynb as saved (nbformat JSON)
//   notebook:///<path>.ipynb/cells/<cell id>.md                one cell's Markdown view
//   notebook:///<path>.ipynb/cells/<cell id>/outputs/<n>[.ext] one output; .png, .html… picks one form
//
// <path> is workspace-relative with "/" between folders, each segment percent-encoded: a URI never
// carries the root, a home folder or anything but the notebook's place under the root. The last
// segment's extension says what a URI holds, because that is how clients pick a viewer: VS Code
// opens a resource by its extension, so a Markdown view named *.ipynb would go to the notebook
// editor and fail to parse.

export const NOTEBOOK_SCHEME = 'notebook';

/** File extensions an output URI may end in, and the MIME type each one asks for. */
export const OUTPUT_EXTENSIONS: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  html: 'text/html',
  md: 'text/markdown',
  txt: 'text/plain',
  json: 'application/json',
  tex: 'text/latex',
};

export type ParsedNotebookUri =
  | { kind: 'notebook'; path: string; format: 'view' | 'ipynb' }
  | { kind: 'cell'; path: string; cell: string }
  | { kind: 'output'; path: string; cell: string; output: number; ext?: string };

/** A URI this server cannot serve; the message says what a valid one looks like. */
export class NotebookUriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotebookUriError';
  }
}

const encodePath = (relPath: string): string => relPath.split('/').map(encodeURIComponent).join('/');

export function notebookUri(relPath: string, format: 'view' | 'ipynb' = 'view'): string {
  return `${NOTEBOOK_SCHEME}:///${encodePath(relPath)}${format === 'view' ? '.md' : ''}`;
}

const cellPrefix = (relPath: string, cellId: string) => `${NOTEBOOK_SCHEME}:///${encodePath(relPath)}/cells/${encodeURIComponent(cellId)}`;

export function cellUri(relPath: string, cellId: string): string {
  return `${cellPrefix(relPath, cellId)}.md`;
}

export function outputUri(relPath: string, cellId: string, index: number, ext?: string): string {
  return `${cellPrefix(relPath, cellId)}/outputs/${index}${ext ? `.${ext}` : ''}`;
}

/** The extension that names a MIME type in an output URI (undefined when none does). */
export function extensionFor(mime: string): string | undefined {
  if (mime === 'image/jpeg') return 'jpg';
  return Object.entries(OUTPUT_EXTENSIONS).find(([, m]) => m === mime)?.[0];
}

const SHAPES =
  'notebook:///<path>.ipynb.md (Markdown view), notebook:///<path>.ipynb (the .ipynb), notebook:///<path>.ipynb/cells/<cell id>.md or notebook:///<path>.ipynb/cells/<cell id>/outputs/<n> (paths relative to the workspace root; resources/list and resources/templates/list show them)';

/**
 * Parses a notebook resource URI. Throws NotebookUriError for anything else: another scheme, a host
 * part, an absolute or escaping path ("..", empty segments), bad percent-encoding, a path that names
 * no .ipynb, an unknown tail, a query or a fragment. Whether the notebook exists, and is inside the
 * root after symlinks, is the store's check. A cell's ".md" may be left out.
 */
export function parseNotebookUri(uri: string): ParsedNotebookUri {
  if (typeof uri !== 'string' || uri.length === 0) throw new NotebookUriError(`The resource URI is empty. Valid forms: ${SHAPES}.`);
  if (uri.length > 4096) throw new NotebookUriError(`The resource URI is ${uri.length} characters long; notebook URIs are far shorter. Valid forms: ${SHAPES}.`);
  const prefix = `${NOTEBOOK_SCHEME}:`;
  if (!uri.toLowerCase().startsWith(prefix)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
    throw new NotebookUriError(`${scheme ? `"${scheme}:" URIs are` : `"${short(uri)}" is`} not served here: this server's resources are notebooks, ${SHAPES}.`);
  }
  let rest = uri.slice(prefix.length);
  if (!rest.startsWith('///')) {
    throw new NotebookUriError(`"${short(uri)}" has no "///" after "notebook:" (notebook URIs have no host part). Valid forms: ${SHAPES}.`);
  }
  rest = rest.slice(3);
  if (rest.includes('#')) throw new NotebookUriError(`"${short(uri)}" has a fragment (#…); notebook URIs have none. Valid forms: ${SHAPES}.`);
  if (rest.includes('?')) throw new NotebookUriError(`"${short(uri)}" has a query (?…); notebook URIs have none. Valid forms: ${SHAPES}.`);
  const segments = rest.split('/').map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new NotebookUriError(`"${short(uri)}" has a malformed percent-encoding ("${short(s)}"). Encode each path segment with encodeURIComponent.`);
    }
    if (d === '' || d === '.' || d === '..' || d.includes('/') || d.includes('\\') || d.includes('\0')) {
      throw new NotebookUriError(
        `"${short(uri)}" has a path segment "${short(d)}" that is empty, "." or "..", or holds a slash, backslash or NUL: a notebook URI names a notebook under the workspace root by its relative path, nothing outside it.`,
      );
    }
    return d;
  });
  const isNotebook = (x: string) => x.toLowerCase().endsWith('.ipynb');
  const last = segments.length - 1;
  // The whole notebook's Markdown view: the last segment is "<name>.ipynb.md".
  if (segments[last].toLowerCase().endsWith('.ipynb.md')) {
    return { kind: 'notebook', path: [...segments.slice(0, last), segments[last].slice(0, -3)].join('/'), format: 'view' };
  }
  // Else the notebook is the shortest prefix that ends in .ipynb and is followed by nothing or by "cells".
  let end = -1;
  for (let i = 0; i < segments.length; i++) {
    if (isNotebook(segments[i]) && (i === last || segments[i + 1] === 'cells')) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new NotebookUriError(`"${short(uri)}" names no notebook: its path must end in .ipynb (the notebook), .ipynb.md (its view) or go on with /cells/<cell id>. Valid forms: ${SHAPES}.`);
  const path = segments.slice(0, end + 1).join('/');
  const tail = segments.slice(end + 1);
  if (tail.length === 0) return { kind: 'notebook', path, format: 'ipynb' };
  if (tail.length === 2) return { kind: 'cell', path, cell: tail[1].endsWith('.md') ? tail[1].slice(0, -3) : tail[1] };
  if (tail.length === 4 && tail[2] === 'outputs') {
    const m = /^(\d{1,6})(?:\.([a-z0-9]+))?$/i.exec(tail[3]);
    if (!m) throw new NotebookUriError(`"${short(uri)}": an output is named by its index, optionally with an extension (outputs/0, outputs/1.png); got "${short(tail[3])}".`);
    const ext = m[2]?.toLowerCase();
    if (ext && !(ext in OUTPUT_EXTENSIONS)) {
      throw new NotebookUriError(`"${short(uri)}": unknown output extension ".${ext}"; use one of ${Object.keys(OUTPUT_EXTENSIONS).map((e) => `.${e}`).join(', ')}, or none for every form of the output.`);
    }
    return { kind: 'output', path, cell: tail[1], output: Number(m[1]), ...(ext ? { ext } : {}) };
  }
  throw new NotebookUriError(`"${short(uri)}" goes on after the notebook with "/${tail.join('/')}", which names nothing. Valid forms: ${SHAPES}.`);
}

function short(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}
