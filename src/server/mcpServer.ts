// Builds one McpServer (one per MCP session) with every tool from tools/index.ts. Tool results
// never throw across the wire: a failure becomes an isError result whose text tells the model what
// to do next.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { TOOLS } from '../tools';
import type { Content, ToolContext, ToolDef } from '../tools/tool';
import { redact } from '../util/log';

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
  return server;
}

function registerTool(server: McpServer, tool: ToolDef, ctx: ToolContext, hooks: ServerHooks): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: { title: tool.title, ...tool.annotations },
    },
    async (args: Record<string, unknown>, extra) => {
      const started = performance.now();
      const target = typeof args.path === 'string' ? args.path : typeof args.kernel_id === 'string' ? args.kernel_id : undefined;
      try {
        if (tool.runsCode) {
          const refusal = ctx.mayRunCode();
          if (refusal) throw new Error(refusal);
        }
        const progressToken = extra._meta?.progressToken;
        const out = await tool.handler(args as never, ctx, {
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
        });
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

/** The JSON Schema of the tool list as a client sees it (for docs and the context-cost bench). */
export function toolNames(): string[] {
  return TOOLS.map((t) => t.name);
}

export { z };
