// Builds one McpServer (one per MCP session) with every tool from tools/index.ts. Tool results
// never throw across the wire: a failure becomes an isError result whose text tells the model what
// to do next.
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CreateTaskResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { FORGET_AFTER_MS, runRegistry, type RunRegistry } from '../runs/registry';
import { z } from 'zod';
import { TOOLS } from '../tools';
import { resultSize, type Content, type ResultShape, type ToolContext, type ToolDef } from '../tools/tool';
import { redact, redactDeep } from '../util/log';
import { sessionLogger } from './clientLog';
import { progressLabel } from './progressLabel';
import { collectNotes } from '../util/callNotes';
import { phaseClock } from '../util/phases';
import { agentName } from '../common/agentNames';
import { budgetShape, sessionBudget, sessionLimits, type BudgetMeasure, type SessionBudget } from './clientBudgets';
import type { NotebookChanges } from '../notebooks/changes';
import { registerSurface } from './surface';

export const SERVER_NAME = 'jupyter-mcp-server';
export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS = `Jupyter MCP: read, edit and run Jupyter notebooks.
- Name the notebook on every call (path relative to the workspace root); there is no "current notebook".
- Prefer cell_id (stable) over index: ids survive edits by other people and agents.
- read_notebook returns what fits; when a result has \`next\`, that is the exact call for the rest.
- Plots and long outputs in read results are placeholders naming the read_output call that shows them.
- execute_notebook_cell / execute_notebook pick the notebook's own kernel when kernel_id is omitted.
- Long code answers status "running" with a run_id before your client gives up: call wait_for_run for what comes next, cancel_run to stop; list_runs shows the runs of every session.
- Beside an editor's own notebook tools (in VS Code: edit_notebook_file, run_notebook_cell, copilot_getNotebookSummary, read_notebook_cell_output), use these for notebooks that are not open, for kernels on a Jupyter server or JupyterHub, for runs that must outlive the call (run_id), to see a plot as an image, and to read big notebooks in answers sized to what your client shows you whole (the outline first). On a notebook open in the editor both act on the same document; these edit it through undoable edits.`;

/** What every session shares: the tools' context, and where notebook changes come from (resources/subscribe). */
export type ServerContext = Omit<ToolContext, 'session'> & { changes?: NotebookChanges };

export interface ServerHooks {
  /** Called after each tool call (for logs and the status bar). */
  onToolCall?(name: string, ms: number, ok: boolean, target?: string): void;
}

export function createMcpServer(ctx: ServerContext, hooks: ServerHooks = {}, tools: readonly ToolDef[] = TOOLS): McpServer {
  const runs = runRegistry(ctx);
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: 'Jupyter MCP' },
    {
      // tasks: execution tools can be called as MCP Tasks (2025-11-25), backed by runs.
      capabilities: { tools: { listChanged: false }, logging: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
      taskStore: runs.tasks,
      instructions: INSTRUCTIONS,
    },
  );
  // The client is known once it has sent initialize, which comes before any tools/list or call.
  const client = () => server.server.getClientVersion();
  // This session's result budget, from its client (src/server/clientBudgets.ts); every tool reads
  // it as ctx.limits.maxResultChars without knowing clients.
  const budget = () => sessionBudget(ctx.limits, client());
  // Each session gets its own state (and its own log level); the stores and kernels are shared.
  const sessionCtx: ToolContext = {
    ...ctx,
    limits: sessionLimits(ctx.limits, budget),
    session: { seen: new Map(), clientName: () => client()?.name },
    log: sessionLogger(server, ctx.log, SERVER_NAME),
  };
  const shape = () => resolveShape(ctx.limits.resultShape, client());
  const registered = new Map(tools.map((tool) => [tool.name, registerTool(server, tool, sessionCtx, hooks, shape, budget)]));
  acceptTasks(server, tools, registered, runs.tasks);
  // Resources, prompts, completions and the MCP Apps viewer (src/server/surface.ts). Resource views
  // are fitted to the configured budget, not the client's tool-result budget: they are attached
  // context, which no client writes to a file.
  const surface = registerSurface(server, { notebooks: ctx.notebooks, limits: ctx.limits, log: sessionCtx.log, changes: ctx.changes }, {
    addTool: (t) => registered.set(t.name, registerTool(server, t, sessionCtx, hooks, shape, budget)),
    listTools: (t) => (shape() === 'text' ? textOnlyToolList(t) : toolList(t)),
  });
  // The tool list is fixed for the life of a session, so no list_changed will ever come; the SDK's
  // registerTool advertises listChanged: true regardless, which this undoes.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  // tools/list is answered from a list built once per process (the SDK would convert every zod
  // schema on every request) and kept small: it is sent into the model's context. Without
  // structuredContent (shape "text") no output schema is advertised: MCP requires structured
  // results from tools that declare one.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...(shape() === 'text' ? textOnlyToolList(tools) : toolList(tools)), ...surface.extraTools()] }));
  return server;
}

/**
 * The shape of results for one client. "auto" gives every client structuredContent (VS Code and
 * Claude Code hand their model its JSON; Roo Code reads the text, which says the same), except:
 * Cline, whose model gets the JSON of the whole result (both views would double it), gets the text
 * only (src/server/clientBudgets.ts); Claude Code before 2.1.197 dropped image blocks beside
 * structuredContent (anthropics/claude-code #54737), so its model would never see a plot: it gets
 * text and images.
 */
export function resolveShape(setting: ResultShape | undefined, client?: { name: string; version: string }): 'structured' | 'text' {
  if (setting === 'structured' || setting === 'text') return setting;
  if (budgetShape(setting, client)) return 'text';
  if (client && /^claude[- ]code$/i.test(client.name) && olderThan(client.version, [2, 1, 197])) return 'text';
  return 'structured';
}

function olderThan(version: string, than: number[]): boolean {
  const v = version.split(/[.+-]/).slice(0, 3).map((x) => Number.parseInt(x, 10));
  if (v.some((x) => !Number.isFinite(x))) return false;
  for (let i = 0; i < than.length; i++) if ((v[i] ?? 0) !== than[i]) return (v[i] ?? 0) < than[i];
  return false;
}

const listCache = new WeakMap<readonly ToolDef[], Tool[]>();
const textListCache = new WeakMap<readonly ToolDef[], Tool[]>();

/** The tool list for clients served text only: the same without output schemas. */
export function textOnlyToolList(tools: readonly ToolDef[] = TOOLS): Tool[] {
  let list = textListCache.get(tools);
  if (!list) {
    list = toolList(tools).map(({ outputSchema: _o, ...t }) => t);
    textListCache.set(tools, list);
  }
  return list;
}

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
      ...(taskCapable(t) ? { execution: { taskSupport: 'optional' as const } } : {}),
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
  for (const [k, v] of Object.entries(a)) {
    if (ANNOTATION_DEFAULTS[k] !== v || k === 'readOnlyHint') out[k] = v;
  }
  return out;
}

function jsonSchema(shape: z.ZodRawShape, isInput: boolean, typedOutput = false): Record<string, unknown> {
  const schema = z.toJSONSchema(z.object(shape), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  const out = simplify(schema, isInput);
  if (!isInput) {
    // Output fields as clients see them: their names only. tools/list goes into the model's
    // context on every turn, and no client needs the types to read a result; the tests check
    // every result against the typed schema (typedOutputSchemas) instead.
    for (const [k, v] of Object.entries(out.properties ?? {})) out.properties[k] = typedOutput ? shallow(v as Record<string, unknown>) : {};
  }
  return out;
}

/** Output schemas with their field types, one level deep (for tests that validate every result). */
export function typedOutputSchemas(tools: readonly ToolDef[] = TOOLS): Map<string, Record<string, unknown>> {
  return new Map(tools.map((t) => [t.name, jsonSchema(t.outputSchema, false, true)]));
}

function isEmptyObject(x: unknown): boolean {
  return !!x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0;
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
    // "Not empty" says little to a model and costs tokens on every turn (≈ 40 string fields);
    // the server still refuses an empty string with a message saying so.
    if (k === 'minLength' && x === 1) continue;
    // A free-form object: "properties": {} and "additionalProperties": {} say what "type": "object" says.
    if ((k === 'properties' || k === 'additionalProperties') && isEmptyObject(x) && isEmptyObject((v as Record<string, unknown>).additionalProperties)) continue;
    out[k] =
      k === 'properties' && x && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([p, s]) => [p, simplify(s, keepDescriptions)]))
        : simplify(x, keepDescriptions);
  }
  return out;
}

/** The tools that run code in a run, which a client may call as an MCP Task. */
function taskCapable(t: ToolDef): boolean {
  return !!t.runsCode && 'wait_seconds' in t.inputSchema;
}

/**
 * Task-augmented tools/call (a client that declares task support, e.g. VS Code): the call is
 * answered at once with a task; the tool runs until its run ends (no "running" answer) and its
 * result is kept for tasks/result; tasks/cancel interrupts the run. Calls without `task` go to
 * the SDK's own handler, untouched. The SDK 1.32 offers only registerToolTask for this, which
 * would also route plain calls through task polling; so the tools/call handler it installed is
 * wrapped instead (its private handler map: the SDK is pinned to 1.32.x).
 */
function acceptTasks(server: McpServer, tools: readonly ToolDef[], registered: Map<string, RegisteredTool>, tasks: RunRegistry['tasks']): void {
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, (req: unknown, extra: unknown) => Promise<unknown>> })._requestHandlers;
  const plain = handlers?.get('tools/call');
  if (!plain) return;
  const byName = new Map(tools.filter(taskCapable).map((t) => [t.name, t]));
  // A session's tasks are forgotten when it closes (their runs go on, listed by list_runs).
  let sessionId: string | undefined;
  let hadTasks = false;
  const onclose = server.server.onclose;
  server.server.onclose = () => {
    onclose?.();
    if (hadTasks) tasks.dropSession(sessionId);
  };
  handlers.set('tools/call', async (message, extraOfRequest) => {
    const params = (message as { params?: { name?: unknown; task?: unknown } } | undefined)?.params;
    const extra = extraOfRequest as RequestHandlerExtra<ServerRequest, ServerNotification>;
    // A plain call (no task, or a tool that runs no code): the SDK's handler, which checks the
    // request and the result itself.
    if (!params?.task || typeof params.name !== 'string' || !byName.has(params.name) || !extra.taskStore) return plain(message, extra);
    // Checked as setRequestHandler would (a malformed request throws the same zod error).
    const request = CallToolRequestSchema.parse(message);
    const tool = byName.get(request.params.name)!;
    sessionId = extra.sessionId;
    hadTasks = true;
    const parsed = z.object(tool.inputSchema).safeParse(request.params.arguments ?? {});
    if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error)}`);
    const task = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? FORGET_AFTER_MS, pollInterval: 1000 });
    const abort = new AbortController();
    tasks.link(task.taskId, () => abort.abort());
    const store = extra.taskStore;
    const taskId = task.taskId;
    // Progress goes on after the task is answered (the spec keeps the request's progressToken valid
    // for the task's lifetime; the SDK client keeps its handler until the task ends). The request's
    // own response stream is closed by then, so it is sent on the session's stream (no related
    // request), tagged with the task. Clients that poll tasks/get see it as the statusMessage.
    const sendNotification = async (n: { method: string; params?: Record<string, unknown> }): Promise<void> => {
      if (n.method !== 'notifications/progress') return;
      const message = typeof n.params?.message === 'string' ? n.params.message : undefined;
      if (message) await store.updateTaskStatus(taskId, 'working', message).catch(() => undefined);
      await server.server
        .notification({ method: n.method, params: { ...n.params, _meta: { [RELATED_TASK_META_KEY]: { taskId } } } } as never)
        .catch(() => undefined);
    };
    // The tool's own registered callback (checks, logs, result assembly), told to wait for the end.
    const call = registered.get(tool.name)!.handler as (args: unknown, extra: unknown) => Promise<CallToolResult>;
    void Promise.resolve()
      .then(() => call(parsed.data, { signal: abort.signal, _meta: request.params._meta, sendNotification, untilDone: true }))
      .then((result) => store.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result))
      // Cancelled meanwhile (the task is terminal), or the session is gone: nothing to deliver.
      .catch(() => undefined);
    // Shaped as the SDK's own check of a task answer would leave it.
    return CreateTaskResultSchema.parse({ task });
  });
}

function registerTool(server: McpServer, tool: ToolDef, ctx: ToolContext, hooks: ServerHooks, shape: () => 'structured' | 'text', budget: () => SessionBudget): RegisteredTool {
  return server.registerTool(
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
      const clock = phaseClock(tool.name);
      const target = typeof args.path === 'string' ? args.path : typeof args.kernel_id === 'string' ? args.kernel_id : undefined;
      try {
        if (tool.runsCode || tool.kernelTool) {
          const refusal = ctx.mayRunCode();
          if (refusal) throw new Error(refusal);
        }
        const progress = progressLabel(extra.sendNotification as never, extra._meta?.progressToken);
        const caller = { client: agentName(ctx.session.clientName?.()), tool: tool.name };
        const { value: out, notes } = await collectNotes(() => tool.handler(args as never, ctx, {
          signal: extra.signal,
          untilDone: (extra as { untilDone?: boolean }).untilDone === true,
          progress: progress.report,
        }), caller).finally(() => progress.end());
        clock?.lap('handler');
        // E.g. "not saved: the person has unsaved changes" from the editor store (util/callNotes).
        if (notes.length > 0) {
          out.structured = { ...(out.structured as object), notice: notes.join(' ') };
          out.summary = `${out.summary} ${notes.join(' ')}`;
        }
        const b = budget();
        const structured = shape() === 'structured';
        // Links to plots are for the person (src/tools/plotLinks.ts), not images: a client that reads
        // the whole result's JSON (Cline 4) would hand them to its model as text, so it gets none.
        const links = (out.extra ?? []).filter((c) => c.type === 'resource_link');
        // The structured JSON is made once: for the text (Roo Code, Cline) and for its size.
        const json = out.omitJsonText && !structured ? undefined : JSON.stringify(out.structured);
        const fitted = fitResult(out.omitJsonText ? out.summary : `${out.summary}\n${json}`, structured ? (out.structured as Record<string, unknown>) : undefined, b.chars, {
          images: (out.extra ?? []).filter((c) => c.type !== 'resource_link'),
          measure: b.measure,
          imagesShown: b.images,
          structuredJson: json,
        });
        if (fitted.cut) ctx.log.warn(`tool ${tool.name}: result over the ${b.chars}-byte budget, cut (${fitted.cut})`);
        const content: Content[] = [{ type: 'text', text: fitted.text }, ...fitted.images, ...(b.measure === 'result' ? [] : links)];
        const ms = performance.now() - started;
        ctx.log.info(`tool ${tool.name}${target ? ` ${target}` : ''} ok ${ms.toFixed(1)} ms`);
        hooks.onToolCall?.(tool.name, ms, true, target);
        clock?.lap('result');
        // A registered secret (a token a kernel printed, a notebook holding it) is never handed out.
        return redactDeep(structured ? { content, structuredContent: fitted.structured } : { content });
      } catch (e) {
        const ms = performance.now() - started;
        const message = redact(e instanceof Error ? e.message : String(e));
        ctx.log.warn(`tool ${tool.name}${target ? ` ${target}` : ''} failed ${ms.toFixed(1)} ms: ${message}`);
        hooks.onToolCall?.(tool.name, ms, false, target);
        // Claude Code drops structuredContent on errors (#86032): the text is the whole message.
        const b = budget();
        return { content: [{ type: 'text' as const, text: fitResult(message, undefined, b.chars, { measure: b.measure, isError: true }).text }], isError: true };
      }
    },
  );
}

const CUT_HINT =
  'Ask for less: read_notebook pages (its `next` field is the exact next call), format "outline" lists cells in one line each, read_output reads one output by offset.';

export interface FitOptions {
  /** Image blocks that follow the text. */
  images?: readonly Content[];
  /** What the client measures (src/server/clientBudgets.ts); default "structured". */
  measure?: BudgetMeasure;
  /** False when the client would show image blocks to its model as base64 text: they are left out, saying so. */
  imagesShown?: boolean;
  isError?: boolean;
  /** JSON.stringify(structured), when the caller has it already. */
  structuredJson?: string;
}

/**
 * The last guard of the result budget: tools fit their results themselves; whatever still does
 * not fit in the client's view is cut here, saying so, never silently. Each view is measured as
 * the client measures it: the text (Roo Code), the structuredContent JSON (VS Code, Claude Code),
 * or the JSON of the whole result, text escaped once more and images included (Cline 4). Text
 * keeps its head and tail; structuredContent keeps its small fields and says which were left out.
 */
export function fitResult(
  text: string,
  structured: Record<string, unknown> | undefined,
  budget: number,
  opts: FitOptions = {},
): { text: string; structured: Record<string, unknown> | undefined; images: Content[]; cut?: string } {
  const cuts: string[] = [];
  let images = [...(opts.images ?? [])];
  if (opts.imagesShown === false && images.length) {
    text += `\n[${images.length} image${images.length === 1 ? '' : 's'} not included: this client hands image blocks to its model as base64 text, not as images. A person can see ${images.length === 1 ? 'it' : 'them'} in the notebook.]`;
    images = [];
  }
  const full = text;
  const textSize = resultSize(text);
  if (textSize > budget) {
    cuts.push(`text ${textSize} bytes`);
    text = cutToSize(full, budget, budget);
  }
  if (opts.measure === 'result') {
    // The client reads the JSON of the whole result (the text escaped once more): shorten the
    // text until that fits. Each round removes at least the excess, so two or three rounds do.
    // Images left here reach the model as images (they were left out above otherwise).
    const whole = () => resultSize(JSON.stringify({ content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}), ...(opts.isError ? { isError: true } : {}) }));
    let room = Math.min(budget, resultSize(text));
    for (let size = whole(); size > budget && room > 200; size = whole()) {
      if (!cuts.some((c) => c.startsWith('result JSON'))) cuts.push(`result JSON ${size} bytes`);
      room = Math.max(200, room - (size - budget) - 50);
      text = cutToSize(full, room, budget);
    }
  }
  if (structured) {
    const size = resultSize(opts.structuredJson ?? JSON.stringify(structured));
    if (size > budget) {
      cuts.push(`structuredContent ${size} bytes`);
      const kept: Record<string, unknown> = {};
      const left: string[] = [];
      let used = 600;
      for (const [k, v] of Object.entries(structured)) {
        const s = resultSize(JSON.stringify(v) ?? '');
        if (used + s + k.length + 4 <= budget - 600) {
          kept[k] = v;
          used += s + k.length + 4;
        } else left.push(`${k} (${s} bytes)`);
      }
      kept.result_cut = `This result was ${size} bytes, over the ${budget}-byte budget of this client (--max-result-chars); left out: ${left.join(', ')}. ${CUT_HINT}`;
      structured = kept;
    }
  }
  return { text, structured, images, ...(cuts.length ? { cut: cuts.join(', ') } : {}) };
}

/** `text` cut (head and tail kept) so that its resultSize is at most `room`. */
function cutToSize(text: string, room: number, budget: number): string {
  // Characters first (what the cut keeps), narrowed by the bytes the kept text takes.
  let chars = Math.min(room, text.length);
  let cut = cutMiddle(text, chars, budget);
  for (let i = 0; i < 8 && resultSize(cut) > room && chars > 0; i++) {
    chars = Math.max(0, Math.floor((chars * room) / resultSize(cut)) - 8);
    cut = cutMiddle(text, chars, budget);
  }
  return cut;
}

/** `text` cut to `room` characters: head and tail kept around a note naming the budget. */
function cutMiddle(text: string, room: number, budget: number): string {
  const note = `\n… [result cut: ${resultSize(text)} bytes are over the ${budget}-byte budget of this client (--max-result-chars); the first and last parts are shown. ${CUT_HINT}] …\n`;
  const keep = Math.max(0, room - note.length);
  const head = Math.ceil((keep * 2) / 3);
  return text.slice(0, head) + note + text.slice(text.length - (keep - head));
}
