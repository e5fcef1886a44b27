// Kernel inspection for the kernels VS Code's Jupyter extension runs (`editor:<path>` ids). Its API
// gives other extensions only `Kernel.executeCode`, which sends an execute_request with
// silent: false and store_history: false (read in ms-toolsai.jupyter 2026.6.1's own code; the
// real-extension host test checks the effects): IPython then neither counts it (execution_count)
// nor stores it (In, _ih, %history), but a value on its last line would go through the display
// hook and set `_` and Out[n]. So the inspection runs as one statement whose value is None: it
// displays a "started" marker, then its answer (the MIME bundle of the helper's answer object),
// and leaves no name behind. Outputs of an API execution go to the calling extension only, never
// into the notebook. IPython's pre/post-run hooks run as for any request of the extension.
// Busy: the extension queues API executions behind the notebook's cells, so a kernel that is busy
// is refused at once, and a request that shows no marker within `startMs` while the kernel is busy
// is answered "busy" and left queued (it runs later, silently, and changes nothing). Only a request
// that started is cancelled past its time-out (the extension then interrupts the kernel).
import * as vscode from 'vscode';
import type { Kernel as JupyterKernel } from '@vscode/jupyter-extension';
import { KernelError, type CompleteReply, type InspectReply, type QuietOptions } from '../kernels/backend';
import { helperExpression, parseHelperAnswer } from '../kernels/pyHelper';
import { busyError } from '../kernels/quiet';

const STARTED = 'JUPYTER-MCP-STARTED';
const DEFAULT_START_MS = 2000;
const decoder = new TextDecoder();

/** The code that displays the marker, then the value of `expression` (a Python expression). */
export function displayStatement(expression: string): string {
  const display = "__import__('IPython.display', fromlist=['display']).display";
  return `${display}({'text/plain': '${STARTED}'}, raw=True); ${display}(__import__('IPython').get_ipython().display_formatter.format(${expression})[0], raw=True)`;
}

export interface EditorQuietTarget {
  kernel: JupyterKernel;
  kernelId: string;
  /** The KernelError for what executeCode threw (access denied, still starting...), if it knows one. */
  explain(e: unknown): KernelError | undefined;
}

/** Evaluates a Python expression in the Jupyter extension's kernel without trace; returns its MIME bundle. */
export async function evaluateInJupyterKernel(t: EditorQuietTarget, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
  const { kernel, kernelId } = t;
  const state = kernel.status;
  if (state === 'busy') throw busyError(kernelId, 'running a cell');
  if (state === 'dead' || state === 'terminating') throw new KernelError(`Kernel ${kernelId} is dead: restart it in VS Code (its variables are lost).`, 'dead');
  if (state === 'starting' || state === 'restarting' || state === 'autorestarting') {
    throw new KernelError(`Kernel ${kernelId} is ${state}: it has no variables to show yet. Call again in a few seconds.`, 'kernel');
  }
  if (opts.signal?.aborted) throw new KernelError('Cancelled before the request was sent; nothing ran.', 'kernel');
  const started = Date.now();
  const startMs = opts.startMs ?? DEFAULT_START_MS;
  const cts = new vscode.CancellationTokenSource();
  let begun = false;
  let bundle: Record<string, unknown> | undefined;
  let failure: unknown;
  const consumed = (async () => {
    try {
      for await (const out of kernel.executeCode(displayStatement(expression), cts.token)) {
        const data: Record<string, unknown> = {};
        for (const item of out.items) data[item.mime] = decoder.decode(item.data);
        if (data['text/plain'] === STARTED) begun = true;
        else if (begun && bundle === undefined) bundle = data;
      }
    } catch (e) {
      failure = e;
    }
  })();
  type Outcome = 'done' | 'busy' | 'timeout' | 'abort';
  const outcome = await new Promise<Outcome>((resolve) => {
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      clearInterval(poll);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const timer = setTimeout(() => finish('timeout'), Math.max(1, opts.timeoutMs));
    const poll = setInterval(() => {
      if (!begun && Date.now() - started >= startMs && kernel.status === 'busy') finish('busy');
    }, Math.min(250, startMs));
    const onAbort = () => finish('abort');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void consumed.then(() => finish('done'));
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (outcome === 'done') {
    cts.dispose();
    if (failure) {
      const known = t.explain(failure);
      if (known) throw known;
      const err = failure as { ename?: string; evalue?: string; message?: string };
      throw new KernelError(`The inspection failed in kernel ${kernelId}: ${err.ename ? `${err.ename}: ${err.evalue ?? ''}` : (err.message ?? String(failure))}. Nothing changed.`, 'kernel');
    }
    if (!bundle) throw new KernelError(`Kernel ${kernelId} ran the inspection but returned no answer (not an IPython kernel?).`, 'unsupported');
    return bundle;
  }
  if (!begun) {
    // Left queued (not cancelled: cancelling could interrupt the cell it waits behind).
    if (outcome === 'busy') throw busyError(kernelId, 'running a cell');
    throw new KernelError(`Kernel ${kernelId} did not start on the inspection within ${secs} s. Nothing ran; check the kernel in VS Code.`, 'kernel');
  }
  // Our own code runs (a repr or a property that never returns): the extension interrupts it.
  cts.cancel();
  const stopped = await Promise.race([consumed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
  cts.dispose();
  throw new KernelError(
    `The inspection ${outcome === 'timeout' ? `took longer than ${Math.round(opts.timeoutMs / 1000)} s` : `was cancelled after ${secs} s`}: the kernel was interrupted` +
      (stopped ? ' (its variables are kept). ' : ', but it did not stop: interrupt or restart it in VS Code. ') +
      'An object whose repr or attribute never returns can cause this: inspect another name, or look at it with execute_cell.',
    'kernel',
  );
}

/** Runs the inspection helper's `code` operation (IPython's own inspector or completer) in the kernel. */
async function codeHelper(t: EditorQuietTarget, part: 'inspect' | 'complete', code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<Record<string, unknown>> {
  const answer = parseHelperAnswer(await evaluateInJupyterKernel(t, helperExpression({ op: 'code', part, code, cursor_pos: cursorPos, detail_level: detailLevel }), opts));
  if (!answer.ok) throw new KernelError(`Kernel ${t.kernelId} could not ${part} the code: ${answer.refused ?? answer.error}.`, 'kernel');
  return answer;
}

/** inspect_request's answer, from IPython's inspector (the extension offers no inspect request). */
export async function inspectInJupyterKernel(t: EditorQuietTarget, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
  const a = await codeHelper(t, 'inspect', code, cursorPos, detailLevel, opts);
  return { found: a.found === true, data: (a.data ?? {}) as Record<string, unknown> };
}

/** complete_request's answer, from IPython's completer (the extension offers no complete request). */
export async function completeInJupyterKernel(t: EditorQuietTarget, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
  const a = await codeHelper(t, 'complete', code, cursorPos, 0, opts);
  return { matches: (a.matches ?? []) as string[], cursor_start: Number(a.cursor_start ?? cursorPos), cursor_end: Number(a.cursor_end ?? cursorPos) };
}
