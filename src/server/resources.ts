// Notebooks as MCP resources, per session: resources/list (every notebook under the root, paged,
// sorted by path), resources/templates/list (a notebook, its raw .ipynb, one cell, one output),
// resources/read (resourceViews.ts), and, when a change source is given, resources/subscribe →
// notifications/resources/updated and notifications/resources/list_changed. A session's
// subscriptions end with it. The same root and file rules as the tools: every path goes through
// the store's resolve (inside the root after symlinks, *.ipynb only).
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { NotebookUriError, notebookUri, parseNotebookUri, type ParsedNotebookUri } from '../common/notebookUris';
import { ToolError } from '../common/errors';
import type { OutputLimits } from '../common/content';
import { formatBytes } from '../kernels/outputs';
import { resolveCell } from '../notebooks/cells';
import type { NotebookChanges } from '../notebooks/changes';
import { serializeNotebook } from '../notebooks/nbformat';
import type { NotebookStore, ReadResult } from '../notebooks/store';
import { redact, type Logger } from '../util/log';
import { allNotebooks, completeCellId, completeNotebookPath, completeOutput, type CompletionSources } from './completions';
import { cellView, notebookView, outputContents } from './resourceViews';

/** Notebooks per resources/list page. */
export const PAGE_SIZE = 100;
/** Subscriptions one session may hold. */
export const MAX_SUBSCRIPTIONS = 256;
/** MCP's "resource not found" error code. */
export const RESOURCE_NOT_FOUND = -32002;
export const IPYNB_MIME = 'application/x-ipynb+json';

export interface ResourceContext {
  notebooks: NotebookStore;
  limits: OutputLimits;
  log: Logger;
  /** Where changes come from; without one, subscriptions and list_changed are not offered. */
  changes?: NotebookChanges;
}

/** Resources outside the notebook scheme (the MCP Apps viewer's ui:// documents). */
export interface ExtraResources {
  handles(uri: string): boolean;
  read(uri: string): Promise<ReadResourceResult>;
}

export function registerResources(server: McpServer, ctx: ResourceContext, extra?: ExtraResources): void {
  const src: CompletionSources = { notebooks: ctx.notebooks, changes: ctx.changes };
  const read = (uri: string) => readResource(ctx, uri, extra);
  const template = (name: string, uriTemplate: string, meta: { title: string; description: string; mimeType?: string }, complete: ConstructorParameters<typeof ResourceTemplate>[1]['complete']) =>
    server.registerResource(name, new ResourceTemplate(uriTemplate, { list: undefined, complete }), meta, (uri) => read(uri.href));
  const path = (v: string) => completeNotebookPath(src, v);
  const cellId = (v: string, c?: { arguments?: Record<string, string> }) => completeCellId(src, c?.arguments?.path, v);
  // The SDK answers resources/templates/list and completes the variables from these.
  template('notebook', 'notebook:///{+path}.md', { title: 'Jupyter notebook', description: 'A notebook under the workspace root as Markdown for a model: cells, sources, outputs as text, plots named by URI.', mimeType: 'text/markdown' }, { path });
  template('notebook-ipynb', 'notebook:///{+path}', { title: 'Jupyter notebook (.ipynb)', description: 'The notebook as saved: nbformat JSON.', mimeType: IPYNB_MIME }, { path });
  template('cell', 'notebook:///{+path}/cells/{cell_id}.md', { title: 'Notebook cell', description: 'One cell of a notebook (by id, or index:N) as Markdown, with its outputs.', mimeType: 'text/markdown' }, { path, cell_id: cellId });
  template(
    'output',
    'notebook:///{+path}/cells/{cell_id}/outputs/{output}',
    { title: 'Cell output', description: 'One output of a cell by index: every form (an image as a blob with its MIME type); 0.png, 0.html… picks one.' },
    { path, cell_id: cellId, output: (v, c) => completeOutput(src, c?.arguments?.path, c?.arguments?.cell_id, v) },
  );

  const session = new SessionResources(server, ctx);
  server.server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
    session.listed();
    return listPage(src, req.params?.cursor);
  });
  server.server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const started = performance.now();
    try {
      const out = await read(req.params.uri);
      ctx.log.info(`resources/read ${req.params.uri} ok ${(performance.now() - started).toFixed(1)} ms`);
      return out;
    } catch (e) {
      const err = toMcpError(e);
      ctx.log.warn(`resources/read ${req.params.uri.slice(0, 200)} failed: ${err.message}`);
      throw err;
    }
  });
  if (ctx.changes) {
    server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
      try {
        await session.subscribe(req.params.uri);
        return {};
      } catch (e) {
        throw toMcpError(e);
      }
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
      session.unsubscribe(req.params.uri);
      return {};
    });
  }
  // Advertise exactly what is served (the SDK's registerResource claims listChanged regardless).
  server.server.registerCapabilities({ resources: { subscribe: !!ctx.changes, listChanged: !!ctx.changes } });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    session.close();
    previous?.();
  };
}

/** One page of resources/list. The cursor is the last path of the previous page (base64url). */
async function listPage(src: CompletionSources, cursor: string | undefined): Promise<{ resources: Resource[]; nextCursor?: string }> {
  let after: string | undefined;
  if (cursor !== undefined) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!after || Buffer.from(after, 'utf8').toString('base64url') !== cursor) {
      throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of the previous resources/list page unchanged, or no cursor to start from the first page.');
    }
  }
  let listing;
  try {
    listing = await allNotebooks(src);
  } catch (e) {
    throw new McpError(ErrorCode.InternalError, `Could not list the notebooks: ${redact(e instanceof Error ? e.message : String(e))}`);
  }
  const all = listing.notebooks;
  // The first path after the cursor's (paths are sorted): a notebook added or removed between two
  // pages neither repeats nor hides the others.
  let lo = 0;
  if (after !== undefined) {
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid].path <= after) lo = mid + 1;
      else hi = mid;
    }
  }
  const page = all.slice(lo, lo + PAGE_SIZE);
  const resources: Resource[] = page.map((n) => ({
    uri: notebookUri(n.path),
    name: n.path,
    mimeType: 'text/markdown',
    description: `Jupyter notebook, ${formatBytes(n.size)}${n.open_in_editor ? ', open in the editor' : ''}`,
    annotations: { lastModified: n.modified },
  }));
  const more = lo + PAGE_SIZE < all.length;
  return { resources, ...(more ? { nextCursor: Buffer.from(page[page.length - 1].path, 'utf8').toString('base64url') } : {}) };
}

/** Reads a notebook, failing with "resource not found" when there is none at that path. */
async function readNotebook(ctx: ResourceContext, uri: string, path: string): Promise<ReadResult> {
  // Resolving first gives the store's own answer for a path outside the root or not a notebook.
  const info = await ctx.notebooks.resolve(path);
  if ((await ctx.notebooks.currentVersion(path)) === undefined) {
    throw new McpError(RESOURCE_NOT_FOUND, `No notebook at ${info.relativePath} (${uri}): resources/list shows the notebooks under the workspace root.`, { uri });
  }
  return ctx.notebooks.read(path);
}

export async function readResource(ctx: ResourceContext, uri: string, extra?: ExtraResources): Promise<ReadResourceResult> {
  if (extra?.handles(uri)) return extra.read(uri);
  if (/^ui:/i.test(uri)) throw new McpError(RESOURCE_NOT_FOUND, `${uri} is not served to this client: ui:// resources are the MCP Apps output viewer, offered to clients that declare the io.modelcontextprotocol/ui extension at initialize.`, { uri });
  const parsed: ParsedNotebookUri = parseNotebookUri(uri);
  const nb = await readNotebook(ctx, uri, parsed.path);
  const budget = ctx.limits.maxResultChars;
  if (parsed.kind === 'notebook') {
    return parsed.format === 'ipynb'
      ? { contents: [{ uri, mimeType: IPYNB_MIME, text: serializeNotebook(nb.notebook) }] }
      : { contents: [{ uri, mimeType: 'text/markdown', text: notebookView(nb.relativePath, nb.notebook, budget) }] };
  }
  let index: number;
  try {
    index = resolveCell(nb.notebook, { cell_id: parsed.cell });
  } catch {
    throw new McpError(RESOURCE_NOT_FOUND, `No cell "${parsed.cell}" in ${nb.relativePath} (${nb.notebook.cells.length} cells): cells are named by id (or index:N in notebooks without ids); ${notebookUri(nb.relativePath)} lists them.`, { uri });
  }
  if (parsed.kind === 'cell') return { contents: [{ uri, mimeType: 'text/markdown', text: cellView(nb.relativePath, nb.notebook, index, budget) }] };
  try {
    return { contents: outputContents(nb.relativePath, nb.notebook.cells[index], index, parsed.output, parsed.ext, uri) };
  } catch (e) {
    if (e instanceof RangeError) throw new McpError(RESOURCE_NOT_FOUND, e.message, { uri });
    throw e;
  }
}

/** A thrown error as the JSON-RPC error a client gets: a bad URI is invalid params, a failure says why. */
export function toMcpError(e: unknown): McpError {
  if (e instanceof McpError) return e;
  const message = redact(e instanceof Error ? e.message : String(e));
  if (e instanceof NotebookUriError || e instanceof ToolError) return new McpError(ErrorCode.InvalidParams, message);
  return new McpError(ErrorCode.InternalError, message);
}

/** One session's subscriptions and list interest, dropped when the session closes. */
class SessionResources {
  private readonly subs = new Map<string, { path: string; stop: () => void }>();
  private stopListening: (() => void) | undefined;
  private stopList: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly server: McpServer,
    private readonly ctx: ResourceContext,
  ) {
    if (ctx.changes) {
      this.stopListening = ctx.changes.on((c) => {
        // Nothing before the client's initialize (the session may be closing, too: ignored).
        if (this.closed || !server.server.getClientCapabilities()) return;
        if (c.kind === 'list') {
          void server.server.sendResourceListChanged().catch(() => undefined);
          return;
        }
        for (const [uri, s] of this.subs) if (s.path === c.path) void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      });
    }
  }

  /** The client listed the notebooks: from now on it hears when they appear or go. */
  listed(): void {
    if (this.ctx.changes && !this.stopList && !this.closed) this.stopList = this.ctx.changes.watchList();
  }

  async subscribe(uri: string): Promise<void> {
    if (this.closed || this.subs.has(uri)) return;
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      throw new McpError(ErrorCode.InvalidParams, `This session already holds ${MAX_SUBSCRIPTIONS} subscriptions, the limit: resources/unsubscribe from some first.`);
    }
    if (/^ui:/i.test(uri)) throw new McpError(ErrorCode.InvalidParams, `${uri} does not change: only notebook:/// resources can be subscribed to.`);
    const parsed = parseNotebookUri(uri);
    const info = await this.ctx.notebooks.resolve(parsed.path);
    if ((await this.ctx.notebooks.currentVersion(parsed.path)) === undefined) {
      throw new McpError(RESOURCE_NOT_FOUND, `No notebook at ${info.relativePath} (${uri}): resources/list shows the notebooks under the workspace root.`, { uri });
    }
    if (this.closed || this.subs.has(uri)) return;
    this.subs.set(uri, { path: info.relativePath, stop: this.ctx.changes!.watch(info.relativePath) });
  }

  unsubscribe(uri: string): void {
    this.subs.get(uri)?.stop();
    this.subs.delete(uri);
  }

  close(): void {
    this.closed = true;
    for (const s of this.subs.values()) s.stop();
    this.subs.clear();
    this.stopListening?.();
    this.stopList?.();
  }
}
