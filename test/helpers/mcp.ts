// Test helpers: a real MCP server on a real HTTP port (in this process), and a real SDK client.
import { mkdtempSync, rmSync, cpSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Workspace } from '../../src/notebooks/paths';
import { FileNotebookStore } from '../../src/notebooks/fileStore';
import { createMcpServer, type ServerContext } from '../../src/server/mcpServer';
import { NotebookChanges, type ChangeOptions } from '../../src/notebooks/changes';
import { ChangeReportingStore } from '../../src/notebooks/changeReporting';
import { startHttpServer, RunningHttpServer } from '../../src/server/http';
import type { KernelBackend } from '../../src/kernels/backend';
import { createKernelBackend } from '../../src/kernels/factory';
import type { ResultShape } from '../../src/tools/tool';
import { silentLogger, type Logger } from '../../src/util/log';
import { DEFAULTS, type Settings } from '../../src/config';
import { typedOutputSchemas } from '../../src/server/mcpServer';
import { AgentChanges } from '../../src/agents/changes';
import { CheckpointStore } from '../../src/agents/checkpoints';
import { TrackingNotebookStore } from '../../src/agents/trackingStore';
import Ajv from 'ajv';

const ajv = new Ajv({ strict: false, allErrors: true });
// The typed output schemas: what tools/list advertises names the fields only (see toolList).
const outputValidators = new Map([...typedOutputSchemas()].map(([name, schema]) => [name, ajv.compile(schema)]));

/** Fails when a tool's structured result does not match the output schema it advertises. */
export function checkOutputSchema(name: string, structured: unknown): void {
  const validate = outputValidators.get(name);
  if (validate && structured !== undefined && !validate(structured)) {
    throw new Error(`${name} returned structuredContent that does not match its outputSchema: ${ajv.errorsText(validate.errors)}`);
  }
}

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** A temp workspace folder, optionally seeded with fixture notebooks. */
export function tempWorkspace(fixtures: string[] = []): { root: string; cleanup(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'jmcp-ws-'));
  for (const f of fixtures) cpSync(path.join(FIXTURES, f), path.join(root, f), { recursive: true });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface StartOptions {
  root: string;
  kernels?: KernelBackend;
  jupyter?: Partial<Settings['jupyter']>;
  authToken?: string;
  timeoutMs?: number;
  maxOutputChars?: number;
  /** --max-wait in seconds. */
  maxWaitSeconds?: number;
  maxImageBytes?: number;
  /** --max-result-chars: every client gets it. Not given: each client its own budget (clientBudgets.ts). */
  maxResultChars?: number;
  resultShape?: ResultShape;
  maxBodyBytes?: number;
  log?: Logger;
  /** As the extension's untrusted-workspace check: a reason to refuse code-running tools. */
  mayRunCode?: () => string | undefined;
  /** The change source of resource subscriptions, as the CLI has it (default), with these options; false: none. */
  changes?: ChangeOptions | false;
  /** Where agent-change checkpoints go (default: a temp folder removed on close). */
  checkpointDir?: string;
  /** Bound of the checkpoint store in bytes. */
  checkpointBytes?: number;
  provenanceInMetadata?: boolean;
}

export interface TestServer {
  http: RunningHttpServer;
  url: string;
  context: ServerContext;
  store: FileNotebookStore;
  changes?: NotebookChanges;
  agents: AgentChanges;
  close(): Promise<void>;
}

export function testSettings(o: StartOptions): Settings {
  return {
    host: '127.0.0.1',
    port: 0,
    root: o.root,
    stdio: false,
    authToken: o.authToken,
    allowedOrigins: [],
    jupyter: { offline: true, startLocal: false, ...o.jupyter },
    execution: { timeoutMs: o.timeoutMs ?? 60_000, ...(o.maxWaitSeconds !== undefined ? { maxWaitMs: o.maxWaitSeconds * 1000 } : {}) },
    limits: {
      maxOutputChars: o.maxOutputChars ?? DEFAULTS.maxOutputChars,
      maxImageBytes: o.maxImageBytes ?? DEFAULTS.maxImageBytes,
      maxBodyBytes: o.maxBodyBytes ?? 8 * 1024 * 1024,
      maxResultChars: o.maxResultChars ?? DEFAULTS.maxResultChars,
      maxResultCharsSet: o.maxResultChars !== undefined,
      resultShape: o.resultShape ?? DEFAULTS.resultShape,
    },
    logLevel: 'warn',
    check: false,
  };
}

/** Starts the real HTTP MCP server on 127.0.0.1:<free port>. */
export async function startServer(o: StartOptions): Promise<TestServer> {
  const log = o.log ?? silentLogger;
  const store = new FileNotebookStore(new Workspace(o.root));
  const kernels = o.kernels ?? (await createKernelBackend(testSettings(o), log));
  // As the CLI wires it (src/core.ts): agents' edits are recorded, checkpoints outside the workspace;
  // resource subscriptions hear of the tools' writes, and poll.
  const cpDir = o.checkpointDir ?? mkdtempSync(path.join(tmpdir(), 'jmcp-cp-'));
  const agents = new AgentChanges({ store, checkpoints: new CheckpointStore(cpDir, o.checkpointBytes), log });
  const tracked = new TrackingNotebookStore(store, agents, { provenanceInMetadata: () => o.provenanceInMetadata === true });
  const changes = o.changes === false ? undefined : new NotebookChanges(store, o.changes);
  const context: ServerContext = {
    notebooks: changes ? new ChangeReportingStore(tracked, changes) : tracked,
    changes,
    agents,
    kernels,
    limits: {
      maxOutputChars: o.maxOutputChars ?? DEFAULTS.maxOutputChars,
      maxImageBytes: o.maxImageBytes ?? DEFAULTS.maxImageBytes,
      maxResultChars: o.maxResultChars ?? DEFAULTS.maxResultChars,
      maxResultCharsSet: o.maxResultChars !== undefined,
      resultShape: o.resultShape ?? DEFAULTS.resultShape,
    },
    execution: { timeoutMs: o.timeoutMs ?? 60_000, ...(o.maxWaitSeconds !== undefined ? { maxWaitMs: o.maxWaitSeconds * 1000 } : {}) },
    log,
    mayRunCode: o.mayRunCode ?? (() => undefined),
  };
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    authToken: o.authToken,
    maxBodyBytes: o.maxBodyBytes ?? 8 * 1024 * 1024,
    createServer: () => createMcpServer(context),
    log,
  });
  return {
    http,
    url: http.url,
    context,
    store,
    changes,
    agents,
    close: async () => {
      await http.close();
      changes?.dispose();
      if (!o.kernels) await kernels.dispose();
      await agents.dispose();
      if (!o.checkpointDir) rmSync(cpDir, { recursive: true, force: true });
    },
  };
}

/** A real SDK client connected over Streamable HTTP. */
export async function connectClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'jupyter-mcp-tests', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

export interface CallResult {
  isError: boolean;
  text: string;
  structured: any;
  content: any[];
}

/** Calls a tool and returns its result in an easy shape (never throws on isError). */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}, opts: Parameters<Client['callTool']>[2] = {}): Promise<CallResult> {
  const r = (await client.callTool({ name, arguments: args }, undefined, opts)) as any;
  if (!r.isError) checkOutputSchema(name, r.structuredContent);
  const text = (r.content ?? []).filter((c: any) => c.type === 'text').map((c: any) => c.text).join('\n');
  return { isError: !!r.isError, text, structured: r.structuredContent, content: r.content ?? [] };
}

/** Calls a tool and fails the test with the tool's message if it returned an error. */
export async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.text}`);
  return r.structured;
}
