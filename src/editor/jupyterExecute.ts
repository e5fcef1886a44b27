// Running code in a kernel of VS Code's Jupyter extension (ms-toolsai.jupyter) through its public
// API (`kernel.executeCode(code, token)`), and what its failures mean for the agent.
import * as vscode from 'vscode';
import type { Kernel as JupyterKernel } from '@vscode/jupyter-extension';
import { KernelError, type ExecuteOptions, type ExecuteResult } from '../kernels/backend';
import type { Output } from '../notebooks/nbformat';
import { timeoutOrAbort } from '../util/deadline';
import { outputFromVscode } from './cellOutputs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The longest an agent's code waits for a kernel the person just picked to finish starting. */
const START_WAIT_MS = 60_000;
/** How often to try again while it starts (each try is refused at once: no code is sent). */
const START_POLL_MS = 500;

/** What the Jupyter extension's `executeCode` throws, and what it means for the agent. */
export function jupyterFailureKind(e: unknown): 'starting' | 'interrupted' | 'denied' | 'other' {
  const name = (e as { name?: unknown })?.name;
  const message = String((e as { message?: unknown })?.message ?? e ?? '');
  // Thrown before any code is sent, while the kernel's connection is not up yet (just picked, restarting).
  if (/Kernel connection not available/i.test(message)) return 'starting';
  // The extension's end of a request whose kernel was interrupted (interrupt_kernel, the person's Stop).
  if (/Canceled future for execute_request/i.test(message)) return 'interrupted';
  // The person answered Deny to its consent dialog, dismissed it, or revoked the access later.
  if (name === 'vscode.jupyter.apiAccessRevoked' || /Access to Jupyter Kernel has been revoked/i.test(message)) return 'denied';
  return 'other';
}

/** The Python exception a failed `executeCode` carries (the extension's error has ename/evalue/traceback), as an nbformat error output. */
function kernelErrorOf(e: unknown): Output | undefined {
  const err = e as { ename?: unknown; evalue?: unknown; traceback?: unknown } | undefined;
  if (!err || typeof err.ename !== 'string' || !err.ename) return undefined;
  return { output_type: 'error', ename: err.ename, evalue: String(err.evalue ?? ''), traceback: Array.isArray(err.traceback) ? err.traceback.map(String) : [] };
}

/** The answer for an agent the person did not (yet) let use the Jupyter extension's kernels. */
export function accessDeniedError(notebook: string): KernelError {
  return new KernelError(
    `VS Code's Jupyter extension did not let Jupyter MCP use the kernel of ${notebook}: its dialog "Do you want to grant Kernel access to the extension Jupyter MCP?" was denied or dismissed. ` +
      'Nothing ran. Ask the person to allow it: command "Jupyter: Manage Access To Jupyter Kernels", tick Jupyter MCP, press Enter; then call again. ' +
      'execute_notebook_cell runs cells through the notebook editor without that access.',
    'kernel',
  );
}

/**
 * Runs code through the Jupyter extension's `Kernel.executeCode` (no execution count, nothing
 * written into the notebook). On time-out or abort the run is cancelled (the extension interrupts
 * the kernel) and the outputs produced until then are returned. `notebook` names the kernel in
 * messages. A kernel still starting (just picked) is waited for, within the call's time-out.
 */
export async function executeInJupyterKernel(kernel: JupyterKernel, code: string, opts: ExecuteOptions, notebook = 'the notebook'): Promise<ExecuteResult> {
  const started = Date.now();
  if (opts.signal?.aborted) return { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
  const cts = new vscode.CancellationTokenSource();
  const outputs: Output[] = [];
  let frozen = false;
  const add = (out: { items: readonly { mime: string; data: Uint8Array }[]; metadata?: Record<string, unknown> }) => {
    if (frozen) return;
    const converted = outputFromVscode(out);
    const last = outputs[outputs.length - 1];
    let changed: Output;
    if (converted.output_type === 'stream' && last?.output_type === 'stream' && last.name === converted.name) {
      last.text = String(last.text) + String(converted.text);
      changed = last;
    } else {
      outputs.push(converted);
      changed = converted;
    }
    try {
      opts.onOutput?.(changed, outputs.length);
    } catch {
      // A failing progress callback must not break the execution.
    }
  };
  let failure: unknown;
  let sawOutput = false;
  const attempt = async () => {
    failure = undefined;
    try {
      for await (const out of kernel.executeCode(code, cts.token)) {
        sawOutput = true;
        add(out);
      }
    } catch (e) {
      failure = e;
    }
  };
  const { stop, dispose: disposeStop } = timeoutOrAbort(opts.timeoutMs, opts.signal);
  const startWaitEnd = started + Math.min(START_WAIT_MS, opts.timeoutMs);
  try {
    let consume = attempt();
    let outcome = await Promise.race([consume.then(() => 'done' as const), stop]);
    // Refused because the kernel is still starting: nothing was sent, so try again once it moves on.
    while (outcome === 'done' && !sawOutput && jupyterFailureKind(failure) === 'starting' && Date.now() < startWaitEnd) {
      const changed = new Promise<void>((r) => {
        const sub = kernel.onDidChangeStatus?.(() => {
          sub?.dispose();
          r();
        });
        setTimeout(() => {
          sub?.dispose();
          r();
        }, START_POLL_MS);
      });
      const waited = await Promise.race([changed.then(() => 'again' as const), stop]);
      if (waited !== 'again') {
        outcome = waited;
        break;
      }
      consume = attempt();
      outcome = await Promise.race([consume.then(() => 'done' as const), stop]);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const kind = jupyterFailureKind(failure);
    if (kind === 'starting' && !sawOutput && outcome === 'abort') {
      return { status: 'aborted', execution_count: null, outputs: [], message: `Cancelled by the client while the kernel of ${notebook} was still starting in VS Code; nothing ran.` };
    }
    if (kind === 'starting' && !sawOutput && (outcome === 'done' || outcome === 'timeout')) {
      throw new KernelError(`The kernel of ${notebook} is still starting in VS Code (waited ${seconds} s); nothing ran. Call again in a few seconds.`, 'kernel');
    }
    if (outcome === 'done') {
      if (failure && kind === 'denied') throw accessDeniedError(notebook);
      if (failure && kind === 'interrupted') {
        // Answer as an interrupted run on a Jupyter server does: the KeyboardInterrupt error, the outputs before it.
        if (!outputs.some((o) => o.output_type === 'error')) {
          outputs.push({ output_type: 'error', ename: 'KeyboardInterrupt', evalue: '', traceback: ['KeyboardInterrupt: the kernel was interrupted'] });
        }
        return {
          status: 'error',
          execution_count: null,
          outputs,
          message: `The kernel was interrupted after ${seconds} s (KeyboardInterrupt); its state up to that point is kept. Outputs produced before the interrupt are included.`,
        };
      }
      const raised = kernelErrorOf(failure);
      if (raised) {
        // The code raised: the extension ends executeCode by throwing the kernel's error (sometimes
        // before yielding its error output). Return it as the error output it is, as other kernels do.
        if (!outputs.some((o) => o.output_type === 'error' && o.ename === raised.ename && o.evalue === raised.evalue)) outputs.push(raised);
        return {
          status: 'error',
          execution_count: null,
          outputs,
          ...(raised.ename === 'KeyboardInterrupt' ? { message: `The kernel was interrupted after ${seconds} s (KeyboardInterrupt); its state up to that point is kept. Outputs produced before the interrupt are included.` } : {}),
        };
      }
      if (failure && !(failure instanceof vscode.CancellationError)) {
        throw new KernelError(`VS Code's Jupyter kernel of ${notebook} failed to run the code after ${seconds} s: ${(failure as Error).message ?? failure}`, 'kernel');
      }
      return { status: outputs.some((o) => o.output_type === 'error') ? 'error' : 'ok', execution_count: null, outputs };
    }
    // Keep what ran; the KeyboardInterrupt the cancellation causes is noise.
    frozen = true;
    cts.cancel();
    const stopped = await Promise.race([consume.then(() => true), sleep(5000).then(() => false)]);
    const after = stopped
      ? 'the run was cancelled (the Jupyter extension interrupts the kernel); the kernel state up to that point is kept.'
      : 'the kernel did not stop after the cancellation and may still be busy: call interrupt_kernel or restart_kernel.';
    return {
      status: outcome === 'timeout' ? 'timeout' : 'aborted',
      execution_count: null,
      outputs,
      message:
        outcome === 'timeout'
          ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included. Pass a larger timeout (in seconds) for long-running code.`
          : `Execution cancelled by the client after ${seconds} s: ${after}`,
    };
  } finally {
    disposeStop();
    cts.dispose();
  }
}
