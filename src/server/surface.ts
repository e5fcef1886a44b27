// Everything of one session besides the tools: notebooks as resources, prompts, completions, and
// for clients that declare MCP Apps the output viewer (its tool and its ui:// documents).
// mcpServer.ts calls this once per session; what it registers answers only what is served.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDef } from '../tools/tool';
import { registerResources, type ResourceContext } from './resources';
import { registerPrompts } from './prompts';
import { gatedShowOutput, showOutput, supportsApps, VIEWER_URI, viewerResources } from './apps/outputViewer';

export interface SurfaceHooks {
  /** Registers a tool the way the server registers its own (checks, logs, errors as results). */
  addTool(tool: ToolDef): void;
  /** The tools/list entries of these tools, in the session's result shape. */
  listTools(tools: readonly ToolDef[]): Tool[];
}

export interface Surface {
  /** tools/list entries this session adds to the server's own (the viewer's tool for MCP Apps clients). */
  extraTools(): Tool[];
}

const APP_TOOLS: readonly ToolDef[] = [showOutput as unknown as ToolDef];

export function registerSurface(server: McpServer, ctx: ResourceContext, hooks: SurfaceHooks): Surface {
  // Known once the client has sent initialize, which comes before any list or read.
  const apps = () => supportsApps(server.server.getClientCapabilities());
  registerResources(server, ctx, viewerResources(apps));
  registerPrompts(server, ctx);
  hooks.addTool(gatedShowOutput(apps));
  return {
    extraTools: () => (apps() ? hooks.listTools(APP_TOOLS).map((t) => ({ ...t, _meta: { ui: { resourceUri: VIEWER_URI } } })) : []),
  };
}
