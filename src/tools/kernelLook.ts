// Shared by the kernel inspection tools (list_variables, inspect_variable, inspect_code): which
// kernel (by id, or the running kernel of a notebook: never one started for the look), the
// answer for a kernel busy with a run, Python-only operations, and the inspection helper's answer.
// Nothing here runs the agent's code or leaves a trace in the kernel (see src/kernels/quiet.ts).
import { z } from 'zod';
import { KernelError, type QuietOptions } from '../kernels/backend';
import { helperExpression, parseHelperAnswer, type HelperArgs } from '../kernels/pyHelper';
import { runRegistry, type Run } from '../runs/registry';
import { ToolError, type ToolCallExtra, type ToolContext } from './tool';
import { callText, type NextCall } from './notebookView';

export const lookKernelParam = z.string().optional().describe('Kernel id (or path).');
export const lookPathParam = z.string().optional().describe('Notebook: its running kernel.');

/**
 * The most an inspection answer takes by default, in bytes of compact JSON: VS Code's Copilot
 * hands its model a file path instead of any result over 8,192 bytes.
 */
export const LOOK_BUDGET = 8000;

export function lookBudget(ctx: ToolContext): number {
  return Math.min(ctx.limits.maxResultChars, LOOK_BUDGET);
}

/** Whole request (at most the server's execution time-out); past it, a look the kernel started on is interrupted. */
const LOOK_TIMEOUT_MS = 30_000;
/** How long a kernel busy with something else may leave the request waiting: then "busy". */
const START_MS = 2000;

export function quietOptions(ctx: ToolContext, extra: ToolCallExtra): QuietOptions {
  return { timeoutMs: Math.max(START_MS + 1000, Math.min(LOOK_TIMEOUT_MS, ctx.execution.timeoutMs)), startMs: START_MS, signal: extra.signal };
}

export interface LookTarget {
  id: string;
  /** The notebook the kernel serves, when known (a run on it makes the kernel busy). */
  path?: string;
}

/**
 * The kernel to look at: `kernel_id`, or the kernel running for the notebook at `path`. A look
 * never starts a kernel (a new one has nothing to show).
 */
export async function lookTarget(ctx: ToolContext, args: { kernel_id?: string; path?: string }): Promise<LookTarget> {
  if (args.kernel_id) {
    const path = args.kernel_id.startsWith('editor:') ? args.kernel_id.slice('editor:'.length) : args.path ? (await ctx.notebooks.resolve(args.path)).relativePath : undefined;
    return { id: args.kernel_id, ...(path !== undefined ? { path } : {}) };
  }
  if (!args.path) throw new ToolError('Give kernel_id (from list_kernels) or path (a notebook whose kernel is running).');
  const { relativePath } = await ctx.notebooks.resolve(args.path);
  const { active } = await ctx.kernels.listKernels();
  const k = active.find((a) => a.notebook === relativePath);
  if (!k) {
    throw new ToolError(
      `No kernel is running for ${relativePath}, so there is nothing in it to inspect. Run its cells first (execute_notebook_cell, execute_notebook), or pass the kernel_id of a running kernel (list_kernels).`,
    );
  }
  return { id: k.id, path: relativePath };
}

/** A run of this server in progress on the kernel (or on its notebook), if any. */
function runOn(ctx: ToolContext, t: LookTarget): Run | undefined {
  return runRegistry(ctx)
    .list()
    .find((r) => r.running && (r.info.kernelId === t.id || (t.path !== undefined && r.info.path === t.path)));
}

/** The answer for a kernel busy with one of our runs: which run, and the calls that end the wait. */
function busyWithRun(t: LookTarget, run: Run): ToolError {
  const secs = Math.round((Date.now() - run.startedAt) / 1000);
  const wait: NextCall = { tool: 'wait_for_run', arguments: { run_id: run.id } };
  return new ToolError(
    `Kernel ${t.id} is busy with run ${run.id} (${run.info.tool}${run.info.path ? ` on ${run.info.path}` : ''}, ${secs} s so far), so it cannot be inspected now: nothing ran and nothing changed. ` +
      `Call ${callText(wait)} and then this tool again, or cancel_run to stop the run.`,
  );
}

/** Refuses at once while one of our runs holds the kernel (its requests would queue behind it). */
export function refuseIfRunning(ctx: ToolContext, t: LookTarget): void {
  const run = runOn(ctx, t);
  if (run) throw busyWithRun(t, run);
}

/** A kernel error, with the run that holds the kernel when the kernel answered "busy". */
export function lookError(ctx: ToolContext, t: LookTarget, e: unknown): unknown {
  if (e instanceof KernelError && e.code === 'busy') {
    const run = runOn(ctx, t);
    if (run) return busyWithRun(t, run);
  }
  return e;
}

/** "python" -> "Python", "r" -> "R": as people write the language. */
export function languageName(language: string): string {
  return language.length <= 2 ? language.toUpperCase() : language[0].toUpperCase() + language.slice(1);
}

/** The tools that read Python namespaces refuse other languages, saying what still works. */
export async function requirePython(ctx: ToolContext, t: LookTarget, tool: string): Promise<void> {
  if (!ctx.kernels.kernelLanguage) throw new ToolError(`${tool} is not available on this server's kernels (they cannot be inspected without running code): use execute_cell.`);
  const language = await ctx.kernels.kernelLanguage(t.id);
  if (language !== 'python') {
    throw new ToolError(
      `${tool} is not available for ${languageName(language)} kernels (kernel ${t.id}): it reads a Python namespace. ` +
        'inspect_code still answers where the kernel implements Jupyter\'s inspect and complete requests; execute_cell runs code (e.g. ls() in R).',
    );
  }
}

/** Runs the inspection helper (pyHelper.ts) without trace and returns its answer; refusals become ToolErrors. */
export async function runHelper(ctx: ToolContext, t: LookTarget, args: HelperArgs, extra: ToolCallExtra): Promise<Record<string, unknown>> {
  if (!ctx.kernels.evaluateSilently) throw new ToolError('This server\'s kernels cannot be inspected without running code: use execute_cell.');
  let bundle: Record<string, unknown>;
  try {
    bundle = await ctx.kernels.evaluateSilently(t.id, helperExpression(args), quietOptions(ctx, extra));
  } catch (e) {
    throw lookError(ctx, t, e);
  }
  const answer = parseHelperAnswer(bundle);
  if (!answer.ok) {
    throw new ToolError(answer.refused ?? `The inspection failed in kernel ${t.id} (${answer.error}). Nothing changed; look at the object with execute_cell instead.`);
  }
  const { ok: _ok, ...fields } = answer;
  return fields;
}

/** UTF-8 bytes of a value's compact JSON (what Copilot's 8,192-byte threshold counts). */
export function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v), 'utf8');
}
