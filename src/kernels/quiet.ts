// Quiet requests to a Jupyter kernel: looking at what the kernel knows without leaving a trace and
// without waiting behind someone's run. Three shell requests of the Jupyter protocol:
//   - execute_request with silent: true, store_history: false, empty code and one user expression:
//     the kernel neither counts it (execution_count), nor stores it (In, _ih, %history), nor sets
//     `_`, nor publishes anything on iopub but its busy / idle status; the expression's value comes
//     back in the execute_reply;
//   - inspect_request and complete_request: no code of ours runs at all.
// Shell requests queue in the kernel behind a running cell, so each request watches for the
// kernel's "busy" status that names it (parent header): a request the kernel has not started on
// within `startMs` while it is busy with something else is answered "busy" at once (it stays
// queued and runs, silently, when the kernel is free); a request that started but outlives its
// time-out is interrupted, and the answer says so.
import type * as JS from '@jupyterlab/services';
import type { KernelMessage } from '@jupyterlab/services';
import { KernelError, type CompleteReply, type InspectReply, type QuietOptions } from './backend';

type Connection = JS.Kernel.IKernelConnection;
type ShellFuture = JS.Kernel.IShellFuture;

/** What a quiet request needs from the backend that owns the kernel. */
export interface QuietTarget {
  kernelId: string;
  /** A connected websocket to the kernel (a dead kernel is refused there). */
  connection(): Promise<Connection>;
  /** The backend's own executions on this kernel in flight, as a phrase ("running code sent by Jupyter MCP"), if any. */
  ownWork(): string | undefined;
  /** The kernel's execution state as the server last saw it (for a connection that heard no status yet). */
  serverState(): Promise<string | undefined>;
  interrupt(): Promise<void>;
}

const DEFAULT_START_MS = 2000;

let kernelMessage: typeof KernelMessage | undefined;
/** @jupyterlab/services' message factory, loaded on first use (the backend loads the library lazily too). */
function messages(): typeof KernelMessage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  kernelMessage ??= (require('@jupyterlab/services') as typeof JS).KernelMessage;
  return kernelMessage;
}

/** The answer for a kernel busy with something else: nothing was looked at, nothing changed. */
export function busyError(kernelId: string, doing: string): KernelError {
  return new KernelError(
    `Kernel ${kernelId} is busy (${doing}), so it cannot be inspected now: nothing ran and nothing changed. ` +
      'Call again when it is idle (list_kernels shows its state), or interrupt_kernel to stop the run.',
    'busy',
  );
}

/** Why the kernel is busy before anything is sent, or undefined when it looks idle. */
async function busyBefore(t: QuietTarget, conn: Connection): Promise<string | undefined> {
  const own = t.ownWork();
  if (own) return own;
  const state = conn.status === 'busy' || conn.status === 'idle' ? conn.status : await t.serverState().catch(() => undefined);
  if (state === 'busy') return 'running code';
  if (state === 'dead') throw new KernelError(`Kernel ${t.kernelId} is dead. Call restart_kernel with this kernel_id (its variables are lost), or start_kernel for a new one.`, 'dead');
  if (state === 'restarting' || state === 'autorestarting' || state === 'starting') {
    throw new KernelError(`Kernel ${t.kernelId} is ${state}: it has no variables to show yet. Call again in a few seconds.`, 'kernel');
  }
  return undefined;
}

/**
 * Sends one shell request and waits for its reply, answering "busy" when the kernel does not
 * start on it because it runs something else, and interrupting it past the time-out.
 */
async function quietRequest<T>(t: QuietTarget, what: string, send: (conn: Connection) => ShellFuture, opts: QuietOptions): Promise<T> {
  const conn = await t.connection();
  const busy = await busyBefore(t, conn);
  if (busy) throw busyError(t.kernelId, busy);
  if (opts.signal?.aborted) throw new KernelError('Cancelled before the request was sent; nothing ran.', 'kernel');
  const started = Date.now();
  const startMs = opts.startMs ?? DEFAULT_START_MS;
  let future: ShellFuture;
  try {
    future = send(conn);
  } catch (e) {
    throw new KernelError(`Could not send the ${what} request to kernel ${t.kernelId}: ${(e as Error).message ?? e}`, 'connection');
  }
  // A disposed future rejects `done`; whoever stops waiting has decided the outcome already.
  future.done.catch(() => undefined);
  let begun = false;
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'status' && (msg.content as { execution_state?: string }).execution_state === 'busy') begun = true;
  };
  type Outcome = { kind: 'reply'; reply: KernelMessage.IShellMessage } | { kind: 'busy'; doing: string } | { kind: 'timeout' } | { kind: 'abort' } | { kind: 'died'; status: string } | { kind: 'failed'; error: unknown };
  const outcome = await new Promise<Outcome>((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.statusChanged.disconnect(onStatus);
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(1, opts.timeoutMs));
    // Past startMs, a request the kernel has not begun while it is busy waits behind someone's run.
    const poll = setInterval(() => {
      if (begun || Date.now() - started < startMs) return;
      const own = t.ownWork();
      if (own || conn.status === 'busy') finish({ kind: 'busy', doing: own ?? 'running code' });
    }, Math.min(250, startMs));
    const onAbort = () => finish({ kind: 'abort' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onStatus = (_: unknown, status: string) => {
      if (status === 'dead' || status === 'restarting' || status === 'autorestarting') finish({ kind: 'died', status });
    };
    conn.statusChanged.connect(onStatus);
    future.done.then(
      (reply) => finish({ kind: 'reply', reply: reply as KernelMessage.IShellMessage }),
      (error) => finish(['dead', 'restarting', 'autorestarting'].includes(conn.status) ? { kind: 'died', status: conn.status } : { kind: 'failed', error }),
    );
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  switch (outcome.kind) {
    case 'reply':
      return outcome.reply.content as T;
    case 'busy':
      // Left queued in the kernel: it runs when the kernel is free, silently, and changes nothing.
      if (!future.isDisposed) future.dispose();
      throw busyError(t.kernelId, outcome.doing);
    case 'died':
      if (!future.isDisposed) future.dispose();
      throw new KernelError(
        `Kernel ${t.kernelId} ${outcome.status === 'dead' ? 'died' : 'restarted'} during the ${what} request (after ${secs} s): its variables are lost. Call restart_kernel if it is dead, then re-run the cells that define the state you need.`,
        'dead',
      );
    case 'failed':
      if (!future.isDisposed) future.dispose();
      throw new KernelError(`The ${what} request to kernel ${t.kernelId} failed after ${secs} s: ${(outcome.error as Error)?.message ?? outcome.error}`, 'connection');
    case 'timeout':
    case 'abort': {
      const why = outcome.kind === 'timeout' ? `took longer than ${Math.round(opts.timeoutMs / 1000)} s` : `was cancelled after ${secs} s`;
      if (!begun) {
        if (!future.isDisposed) future.dispose();
        throw new KernelError(`Kernel ${t.kernelId} did not start on the ${what} request: it ${why} in its queue. Nothing ran; check the kernel with list_kernels.`, 'kernel');
      }
      // It is our request that runs (a repr or a property that never returns): stop it.
      await t.interrupt().catch(() => undefined);
      const stopped = await Promise.race([future.done.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
      if (!future.isDisposed) future.dispose();
      throw new KernelError(
        `The ${what} request ${why}: the kernel was interrupted (KeyboardInterrupt inside the inspection only; its variables are kept)` +
          (stopped ? '. ' : ', but it did not stop: call interrupt_kernel again or restart_kernel. ') +
          'An object whose repr or attribute never returns can cause this: inspect another name, or look at it with execute_cell.',
        'kernel',
      );
    }
  }
}

/** The reply of a user expression: its MIME bundle, or why it raised. */
interface ExpressionReply {
  status?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/**
 * Evaluates one expression without trace: a silent, unstored execute_request of empty code that
 * carries it as a user expression (evaluated by the kernel after the code, in the user namespace,
 * its value returned in the reply). Returns the value's MIME bundle.
 */
export async function evaluateSilently(t: QuietTarget, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
  const send = (conn: Connection) =>
    conn.requestExecute({ code: '', silent: true, store_history: false, allow_stdin: false, stop_on_error: false, user_expressions: { r: expression } }, true) as unknown as ShellFuture;
  let reply = await quietRequest<{ status: string; user_expressions?: Record<string, ExpressionReply> }>(t, 'inspection', send, opts);
  // A kernel aborts what arrives just after another client's failing cell (stop_on_error): once more.
  if (reply.status === 'aborted') reply = await quietRequest(t, 'inspection', send, opts);
  if (reply.status !== 'ok') throw new KernelError(`Kernel ${t.kernelId} answered the inspection with status "${reply.status}". Nothing changed; call again.`, 'kernel');
  const r = reply.user_expressions?.r;
  if (!r) throw new KernelError(`Kernel ${t.kernelId} does not evaluate user expressions (a Jupyter protocol feature), so it cannot be inspected without running code.`, 'unsupported');
  if (r.status !== 'ok') {
    throw new KernelError(`The inspection raised in kernel ${t.kernelId}: ${r.ename ?? 'error'}: ${String(r.evalue ?? '').slice(0, 300)}. Nothing changed.`, 'kernel');
  }
  return r.data ?? {};
}

/** Jupyter's inspect_request (documentation and signature of the name at the cursor). */
export async function inspect(t: QuietTarget, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
  const send = (conn: Connection) => conn.sendShellMessage(shellMessage(conn, 'inspect_request', { code, cursor_pos: cursorPos, detail_level: detailLevel }), true, true);
  const reply = await quietRequest<{ status: string; found?: boolean; data?: Record<string, unknown>; ename?: string; evalue?: string }>(t, 'inspect', send, opts);
  if (reply.status !== 'ok') throw new KernelError(`Kernel ${t.kernelId} failed to inspect the code: ${reply.ename ?? reply.status}: ${String(reply.evalue ?? '').slice(0, 300)}`, 'kernel');
  return { found: !!reply.found, data: reply.data ?? {} };
}

/** Jupyter's complete_request. */
export async function complete(t: QuietTarget, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
  const send = (conn: Connection) => conn.sendShellMessage(shellMessage(conn, 'complete_request', { code, cursor_pos: cursorPos }), true, true);
  const reply = await quietRequest<{ status: string; matches?: string[]; cursor_start?: number; cursor_end?: number; ename?: string; evalue?: string }>(t, 'complete', send, opts);
  if (reply.status !== 'ok') throw new KernelError(`Kernel ${t.kernelId} failed to complete the code: ${reply.ename ?? reply.status}: ${String(reply.evalue ?? '').slice(0, 300)}`, 'kernel');
  return { matches: reply.matches ?? [], cursor_start: reply.cursor_start ?? cursorPos, cursor_end: reply.cursor_end ?? cursorPos };
}

function shellMessage(conn: Connection, msgType: 'inspect_request' | 'complete_request', content: Record<string, unknown>): KernelMessage.IShellMessage {
  return messages().createMessage({ msgType, channel: 'shell', session: conn.clientId, username: conn.username, content } as never) as unknown as KernelMessage.IShellMessage;
}
