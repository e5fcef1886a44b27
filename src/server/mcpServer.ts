// Builds one McpServer (one per MCP session) with every tool from tools/index.ts. Tool results
// never throw across the wire: a failure becomes an isError result whose text tells the model what
// to do next.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TOOLS } from '../tools';
import type { Content, ToolContext, ToolDef } from '../tools/tool';
import { redact } from '../util/log';
import { collectNotes } from '../util/callNotes';

export const SERVER_NAME = 'jupyter-mcp-server';
export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS = `Jupyter MCP: read, edit and run Jupyter notebooks.
- Name the notebook on every call (path relative to the workspace root); there is no "current notebook".
- Prefer cell_id (stable) over index: ids survive edits by other people and agents.
- For large notebooks call read_notebook with format "outline" first, then page with start_index/limit.
- execute_notebook_cell / execute_notebook pick the notebook's own kernel when kernel_id is omitted.`;

export interface ServerHooks {
  /** Called after each tool call (for logs and the status bar). */
  onToolCall?(name: string, ms: number, ok: boolean, target?: string): void;
}

export function createMcpServer(ctx: Omit<ToolContext, 'session'>, hooks: ServerHooks = {}, tools: readonly ToolDef[] = TOOLS): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: 'Jupyter MCP' },
    { capabilities: { tools: { listChanged: true }, logging: {} }, instructions: INSTRUCTIONS },
  );
  // Each session gets its own state; the stores and kernels behind it are shared.
  const sessionCtx: ToolContext = { ...ctx, session: { seen: new Map() } };
  for (const tool of tools) registerTool(server, tool, sessionCtx, hooks);
  // tools/list is answered from a list built once per process (the SDK would convert every zod
  // schema on every request) and kept small: it is sent into the model's context.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList(tools) }));
  return server;
}

const listCache = new WeakMap<readonly ToolDef[], Tool[]>();

/**
 * The tools as clients see them. Input schemas keep every field's description (the model needs
 * them); output schemas keep their structure but not their descriptions (clients validate with
 * them, models rarely read them), and the JSON Schema dialect line is left out.
 */
export function toolList(tools: readonly ToolDef[] = TOOLS): Tool[] {
  let list = listCache.get(tools);
  if (!list) {
    list = tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: jsonSchema(t.inputSchema, true) as Tool['inputSchema'],
      outputSchema: jsonSchema(t.outputSchema, false) as Tool['outputSchema'],
      annotations: compactAnnotations(t.annotations),
    }));
    listCache.set(tools, list);
  }
  return list;
}

// MCP's defaults (readOnly false, destructive true, idempotent false, openWorld true): only
// hints that differ are sent, which means the same to clients and costs fewer tokens.
const ANNOTATION_DEFAULTS: Record<string, boolean> = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

function compactAnnotations(a: ToolDef['annotations']): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(a)) if (ANNOTATION_DEFAULTS[k] !== v || k === 'readOnlyHint') out[k] = v;
  return out;
}

function jsonSchema(shape: z.ZodRawShape, isInput: boolean): Record<string, unknown> {
  const schema = z.toJSONSchema(z.object(shape), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  const out = simplify(schema, isInput);
  if (!isInput) {
    // Output fields: their types, one level deep; nested objects are described by the tool's text.
    for (const [k, v] of Object.entries(out.properties ?? {})) out.properties[k] = shallow(v as Record<string, unknown>);
  }
  return out;
}

function shallow(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['type', 'enum', 'anyOf']) if (k in s) out[k] = k === 'anyOf' ? (s.anyOf as Record<string, unknown>[]).map(shallow) : s[k];
  if (s.type === 'array' && s.items && typeof s.items === 'object') out.items = { type: (s.items as Record<string, unknown>).type };
  return out;
}

/**
 * Drops what says nothing to a client: integer bounds zod adds (±2^53-1), and, for output
 * schemas, descriptions and strictness. "properties" maps names to schemas, so a property named
 * "description" is kept.
 */
function simplify(v: unknown, keepDescriptions: boolean): any {
  if (Array.isArray(v)) return v.map((x) => simplify(x, keepDescriptions));
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // Output schemas say which fields and types to expect; which are always present and whether
    // more may come is left open (a result with an extra field stays valid for older clients).
    if (!keepDescriptions && ((k === 'description' && typeof x === 'string') || k === 'required' || k === 'additionalProperties')) continue;
    if ((k === 'maximum' && x === Number.MAX_SAFE_INTEGER) || (k === 'minimum' && x === Number.MIN_SAFE_INTEGER)) continue;
    out[k] =
      k === 'properties' && x && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([p, s]) => [p, simplify(s, keepDescriptions)]))
        : simplify(x, keepDescriptions);
  }
  return out;
}

function registerTool(server: McpServer, tool: ToolDef, ctx: ToolContext, hooks: ServerHooks): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      // The output schema is advertised by toolList() (tools/list is ours) but not handed to the
      // SDK, which would re-validate every result with zod (≈ 3 ms on a 471-cell outline). The
      // tests validate every result against the advertised schema instead (test/helpers/mcp.ts).
      annotations: tool.annotations,
    },
    async (args: Record<string, unknown>, extra) => {
      const started = performance.now();
      const target = typeof args.path === 'string' ? args.path : typeof args.kernel_id === 'string' ? args.kernel_id : undefined;
      try {
        if (tool.runsCode || tool.kernelTool) {
          const refusal = ctx.mayRunCode();
          if (refusal) throw new Error(refusal);
        }
        const progressToken = extra._meta?.progressToken;
        const { value: out, notes } = await collectNotes(() => tool.handler(args as never, ctx, {
          signal: extra.signal,
          progress: async (progress, message, total) => {
            if (progressToken === undefined) return;
            await extra
              .sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
              })
              .catch(() => undefined);
          },
        }));
        // E.g. "not saved: the person has unsaved changes" from the editor store (util/callNotes).
        if (notes.length > 0) {
          out.structured = { ...(out.structured as object), notice: notes.join(' ') };
          out.summary = `${out.summary} ${notes.join(' ')}`;
        }
        const text = out.omitJsonText ? out.summary : `${out.summary}\n${JSON.stringify(out.structured)}`;
        const content: Content[] = [{ type: 'text', text }, ...(out.extra ?? [])];
        const ms = performance.now() - started;
        ctx.log.info(`tool ${tool.name}${target ? ` ${target}` : ''} ok ${ms.toFixed(1)} ms`);
        hooks.onToolCall?.(tool.name, ms, true, target);
        return { content, structuredContent: out.structured as Record<string, unknown> };
      } catch (e) {
        const ms = performance.now() - started;
        const message = redact(e instanceof Error ? e.message : String(e));
        ctx.log.warn(`tool ${tool.name}${target ? ` ${target}` : ''} failed ${ms.toFixed(1)} ms: ${message}`);
        hooks.onToolCall?.(tool.name, ms, false, target);
        return { content: [{ type: 'text' as const, text: message }], isError: true };
      }
    },
  );
}
