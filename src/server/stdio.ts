// MCP over stdin/stdout, for clients that spawn the server. stdout carries protocol frames only,
// so console output (including @jupyterlab/services' debug lines) is sent to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

export function routeConsoleToStderr(): void {
  const toErr = (...args: unknown[]) => process.stderr.write(args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' ') + '\n');
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  console.warn = toErr;
}

function safeInspect(v: unknown): string {
  try {
    return v instanceof Error ? v.message : JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export async function serveStdio(server: McpServer): Promise<{ closed: Promise<void> }> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  await server.connect(transport);
  return { closed };
}
