// The MCP Apps (io.modelcontextprotocol/ui) output viewer: a `show_output` tool whose tools/list
// entry carries `_meta.ui.resourceUri`, so a host that renders MCP Apps (VS Code with
// chat.mcp.apps.enabled) shows its result in a sandboxed view in the chat: an HTML table, a Plotly
// figure, an image. Offered only to clients that declare the extension at initialize; the others
// see neither the tool nor the ui:// resources. The view gets the tool's small result (which
// outputs, their resource URIs) and reads the outputs through the host's resources/read proxy, so
// the figure's data never passes through the model.
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import type { ClientCapabilities, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { outputUri } from '../../common/notebookUris';
import { cellRefId, checkIndex, resolveCell } from '../../notebooks/cells';
import type { Output } from '../../notebooks/nbformat';
import { cellIdParam, indexParam, pathParam } from '../../tools/schemas';
import { defineTool, ToolError, type ToolDef } from '../../tools/tool';
import type { ExtraResources } from '../resources';
import { viewerHtml } from './viewerHtml';

export const UI_EXTENSION = 'io.modelcontextprotocol/ui';
export const APP_MIME = 'text/html;profile=mcp-app';
export const VIEWER_URI = 'ui://jupyter-mcp/output-viewer';
/** plotly.js (cartesian bundle), read by the view only when it shows a Plotly figure. */
export const PLOTLY_URI = 'ui://jupyter-mcp/plotly-cartesian.min.js';
export const PLOTLY_FILE = 'plotly-cartesian.min.js';
/** Outputs one show_output call puts in the view, at most. */
export const MAX_SHOWN = 4;

/** Whether the client declared MCP Apps with HTML views at initialize. */
export function supportsApps(caps: ClientCapabilities | undefined): boolean {
  const ext = (caps as { extensions?: Record<string, { mimeTypes?: unknown }> } | undefined)?.extensions?.[UI_EXTENSION];
  return !!ext && Array.isArray(ext.mimeTypes) && ext.mimeTypes.includes(APP_MIME);
}

/** What an output holds: its MIME types, or the stream or the error. */
function kindsOf(o: Output): string[] {
  if (o.output_type === 'stream') return [`stream ${String(o.name ?? 'stdout')}`];
  if (o.output_type === 'error') return [`error ${String(o.ename ?? 'Error')}`];
  return Object.keys((o.data ?? {}) as Record<string, unknown>);
}

const RICH = /^(image\/|text\/html$|application\/vnd\.plotly\.v1\+json$|application\/vnd\.vegalite\.|application\/vnd\.vega\.|text\/markdown$|text\/latex$)/;

export const showOutput = defineTool({
  name: 'show_output',
  title: 'Show output to the person',
  // Short: tools/list goes into the model's context on every turn (≈ 4,000 tokens for all tools).
  description: "Show a cell's plots, tables or images to the person in the chat (you do not see them).",
  inputSchema: {
    path: pathParam,
    cell_id: cellIdParam,
    cell_index: indexParam,
    output_index: z.number().int().min(0).optional().describe('One output (default: its plots, tables, images).'),
  },
  outputSchema: {
    path: z.string(),
    cell_index: z.number(),
    cell_id: z.string(),
    outputs: z.array(z.object({ output_index: z.number(), kinds: z.array(z.string()), uri: z.string() })),
    note: z.string(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const { notebook, relativePath } = await ctx.notebooks.read(args.path);
    const index = resolveCell(notebook, { index: args.cell_index, cell_id: args.cell_id });
    const cell = notebook.cells[index];
    const id = cellRefId(cell, index);
    const outputs = (cell.cell_type === 'code' ? (cell.outputs ?? []) : []) as Output[];
    if (outputs.length === 0) {
      throw new ToolError(`Cell ${index} (id ${id}) of ${relativePath} has no outputs to show${cell.cell_type === 'code' ? ': run it first with execute_notebook_cell' : ` (it is a ${cell.cell_type} cell)`}.`);
    }
    let picked: number[];
    if (args.output_index !== undefined) {
      checkIndex(args.output_index, outputs.length, 'output');
      picked = [args.output_index];
    } else {
      const rich = outputs.map((o, i) => ({ i, kinds: kindsOf(o) })).filter((x) => x.kinds.some((k) => RICH.test(k)));
      picked = (rich.length ? rich.map((x) => x.i) : outputs.map((_, i) => i)).slice(0, MAX_SHOWN);
    }
    const shown = picked.map((i) => ({ output_index: i, kinds: kindsOf(outputs[i]), uri: outputUri(relativePath, id, i) }));
    const what = shown.map((s) => `output ${s.output_index} (${s.kinds.join(', ')})`).join('; ');
    const note = `Shown to the person in the chat's output viewer: ${relativePath} cell ${index} (id ${id}), ${what}. You do not see the view; read_output reads an output for you.`;
    return { structured: { path: relativePath, cell_index: index, cell_id: id, outputs: shown, note }, summary: note, omitJsonText: true };
  },
});

/** show_output for one session: refused unless that client declared MCP Apps. */
export function gatedShowOutput(enabled: () => boolean): ToolDef {
  return {
    ...(showOutput as unknown as ToolDef),
    handler: (args, ctx, extra) => {
      if (!enabled()) throw new ToolError(`show_output is offered only to MCP clients that declare the ${UI_EXTENSION} extension at initialize (it opens a view in the chat); read_output shows an output instead.`);
      return (showOutput as unknown as ToolDef).handler(args, ctx, extra);
    },
  };
}

let plotlyPath: string | undefined;

/** plotly.js beside the bundle (dist/, copied by esbuild.js), or in node_modules when run from src/ (tests). */
function findPlotly(): string | undefined {
  if (plotlyPath && existsSync(plotlyPath)) return plotlyPath;
  for (const p of [path.join(__dirname, PLOTLY_FILE), path.join(__dirname, '..', '..', '..', 'node_modules', 'plotly.js-cartesian-dist-min', PLOTLY_FILE)]) {
    if (existsSync(p)) return (plotlyPath = p);
  }
  return undefined;
}

/** The ui:// documents, served to a session whose client declared MCP Apps. */
export function viewerResources(enabled: () => boolean): ExtraResources {
  return {
    handles: (uri) => enabled() && (uri === VIEWER_URI || uri === PLOTLY_URI),
    async read(uri): Promise<ReadResourceResult> {
      if (uri === VIEWER_URI) {
        return {
          contents: [
            {
              uri,
              mimeType: APP_MIME,
              text: viewerHtml(PLOTLY_URI),
              // No csp domains: the host's restrictive default (no network at all) applies.
              _meta: { ui: { prefersBorder: true } },
            },
          ],
        };
      }
      const file = findPlotly();
      if (!file) throw new McpError(ErrorCode.InternalError, `${PLOTLY_FILE} is missing beside the server (rebuild with node esbuild.js); Plotly figures show their image or JSON instead.`);
      return { contents: [{ uri, mimeType: 'text/javascript', text: await fs.readFile(file, 'utf8') }] };
    },
  };
}
