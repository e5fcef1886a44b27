// Running code on a Jupyter server's kernel: execute requests sent one turn at a time per kernel,
// outputs collected as they arrive, and every way a run can end (reply, time-out, cancellation,
// kernel death, lost server, garbled frame) turned into a result or an error that names the fix.
import type * as JS from '@jupyterlab/services';
import type { KernelMessage } from '@jupyterlab/services';
import type { Output } from '../notebooks/nbformat';
import { redact } from '../util/log';
import { KernelError, type ExecuteOptions, type ExecuteResult, type SequenceOptions } from './backend';
import { sleep, withTimeout, type Connection, type JupyterLink } from './jupyterLink';
import { services } from './jupyterServices';
import { START_HINT } from './jupyterUrl';
import { OutputCollector } from './outputs';
import { checkKernelId } from './wire';

/** Waits for `previous` unless the time-out or the abort signal comes first. */
function waitTurn(previous: Promise<void>, ms: number, signal?: AbortSignal): Promise<'ready' | 'timeout' | 'abort'> {
  return new Promise((resolve) => {
    const done = (v: 'ready' | 'timeout' | 'abort') => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => done('abort');
    const timer = setTimeout(() => done('timeout'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => done('ready'));
  });
}

/** An execute request on its way: its future and the outputs collected so far. */
interface Sent {
  future: JS.Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>;
  collector: OutputCollector;
  /** Set after a time-out or cancellation: later outputs (the interrupt's traceback) are dropped. */
  frozen: boolean;
  /** Its outcome is known (the sequence stops waiting on it). */
  settled: boolean;
}

type Outcome =
  | { kind: 'done'; reply: KernelMessage.IExecuteReplyMsg }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'abort' }
  | { kind: 'died'; status: string }
  | { kind: 'lost'; reason: string }
  | { kind: 'garbled'; reason: string };

export class JupyterExecution {
  /** Per kernel: settles when the last execution this backend queued on it is over. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly link: JupyterLink) {}

  /** Whether a run sent through this backend holds the kernel (quiet requests then say "busy"). */
  isRunning(kernelId: string): boolean {
    return this.queues.has(kernelId);
  }

  /**
   * Runs code after the previous run this backend sent to the same kernel has finished (including
   * its interrupt after a time-out). Otherwise a queued request's time-out would interrupt someone
   * else's code, and a request queued behind a failing one could be aborted by the kernel.
   */
  async execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    checkKernelId(kernelId);
    const started = Date.now();
    const turn = await this.takeTurn(kernelId, opts.timeoutMs, opts.signal);
    try {
      if (turn.nothingRun) return turn.nothingRun;
      return await this.executeNow(kernelId, code, { ...opts, timeoutMs: Math.max(1, opts.timeoutMs - (Date.now() - started)) });
    } finally {
      turn.release();
    }
  }

  private async executeNow(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const started = Date.now();
    if (opts.signal?.aborted) return { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
    const conn = await this.link.ready(kernelId, Math.max(1000, Math.min(this.link.connectTimeoutMs, opts.timeoutMs)));
    if (conn.status === 'dead') throw this.link.deadError(kernelId);
    // stop_on_error: false. Our requests to a kernel are one at a time (execute()), so there is no
    // queue of ours to abort; with true, ipykernel aborts whatever arrives just after an error
    // reply (stop_on_error_timeout), so an agent's next call could come back "aborted".
    const sent = await this.send(conn, code, false, opts.onOutput);
    return this.settle(kernelId, conn, sent, started, opts.timeoutMs, opts.signal);
  }

  /**
   * Runs cells back to back at the kernel's own pace: every execute request is sent at once (the
   * kernel queues them), so no cell waits for a round trip after the previous one. Results come
   * in order. After a cell that does not end "ok" (error, time-out, cancellation) the sequence
   * stops: the requests after it carry stop_on_error, so the kernel aborts them without running
   * them, and the kernel is free again once their "aborted" replies are in. Each cell's time-out
   * counts from the end of the previous one.
   */
  async *executeSequence(kernelId: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined> {
    checkKernelId(kernelId);
    const turn = await this.takeTurn(kernelId, opts.timeoutMs, opts.signal);
    const sent: Sent[] = [];
    try {
      if (turn.nothingRun) {
        yield turn.nothingRun;
        return;
      }
      if (opts.signal?.aborted) {
        yield { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
        return;
      }
      const conn = await this.link.ready(kernelId, Math.max(1000, Math.min(this.link.connectTimeoutMs, opts.timeoutMs)));
      if (conn.status === 'dead') throw this.link.deadError(kernelId);
      // The last request needs no stop_on_error (nothing of ours follows it), and without it an
      // agent's next call cannot meet the kernel's short abort window after an error.
      for (const [i, code] of codes.entries()) sent.push(await this.send(conn, code, i < codes.length - 1, (o, n) => opts.onOutput?.(i, o, n)));
      let started = Date.now();
      for (const one of sent) {
        const res = await this.settle(kernelId, conn, one, started, opts.timeoutMs, opts.signal);
        yield res;
        if (res.status !== 'ok') return;
        started = Date.now();
      }
    } finally {
      // Cells left unrun are being aborted by the kernel: their replies come at once. Wait for
      // them (briefly) so our next request never lands in the kernel's abort window.
      const rest = sent.filter((x) => !x.settled);
      if (rest.length) await Promise.race([Promise.allSettled(rest.map((x) => x.future.done)), sleep(3000)]);
      for (const x of rest) if (!x.future.isDisposed) x.future.dispose();
      turn.release();
    }
  }

  /** Waits for this backend's earlier requests to the kernel; `release` lets the next one go. */
  private async takeTurn(kernelId: string, timeoutMs: number, signal?: AbortSignal): Promise<{ release: () => void; nothingRun?: ExecuteResult }> {
    const started = Date.now();
    const previous = this.queues.get(kernelId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = previous.then(() => mine);
    this.queues.set(kernelId, tail);
    const release = () => {
      done();
      if (this.queues.get(kernelId) === tail) this.queues.delete(kernelId);
    };
    const turn = await waitTurn(previous, timeoutMs, signal);
    if (turn === 'ready') return { release };
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    return {
      release,
      nothingRun: {
        status: turn === 'timeout' ? 'timeout' : 'aborted',
        execution_count: null,
        outputs: [],
        message:
          `Nothing was run: kernel ${kernelId} was busy with an earlier request from this server for ${secs} s${turn === 'timeout' ? ' (the whole time-out)' : ''}. ` +
          'Wait for it, call interrupt_kernel, or pass a larger timeout.',
      },
    };
  }

  /** Sends one execute request; its outputs are collected as they arrive. */
  private async send(conn: Connection, code: string, stopOnError: boolean, onOutput?: ExecuteOptions['onOutput']): Promise<Sent> {
    const collector = new OutputCollector();
    let future: Sent['future'];
    try {
      future = conn.requestExecute({ code, silent: false, store_history: true, allow_stdin: false, stop_on_error: stopOnError }, true);
    } catch (e) {
      throw await this.link.translate(e, 'send the code to the kernel');
    }
    // A disposed future rejects `done`; whoever stops waiting on it has already decided the outcome.
    future.done.catch(() => undefined);
    const sent: Sent = { future, collector, frozen: false, settled: false };
    future.onIOPub = (msg) => {
      if (sent.frozen) return;
      const changed = collector.handle(msg as never);
      if (changed && onOutput) {
        try {
          onOutput(changed, collector.outputs.length);
        } catch {
          // A failing progress callback must not break the execution.
        }
      }
    };
    return sent;
  }

  /** Waits for a sent request to end (reply, time-out, cancellation, death, lost server) and makes its result. */
  private async settle(kernelId: string, conn: Connection, sent: Sent, started: number, timeoutMs: number, signal?: AbortSignal): Promise<ExecuteResult> {
    const { future, collector } = sent;
    const outcome = await this.waitOutcome(kernelId, conn, future, Math.max(0, started + timeoutMs - Date.now()), signal);
    sent.settled = true;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    switch (outcome.kind) {
      case 'done': {
        const content = outcome.reply.content as { status: string; execution_count?: number };
        const count = typeof content.execution_count === 'number' ? content.execution_count : collector.executionCount;
        const status = content.status === 'ok' ? 'ok' : content.status === 'aborted' ? 'aborted' : 'error';
        return {
          status,
          execution_count: count,
          outputs: collector.outputs,
          ...(status === 'aborted' ? { message: 'The kernel did not run this code: it aborted the request (an earlier request in its queue failed).' } : {}),
        };
      }
      case 'timeout':
      case 'abort': {
        // Keep what ran until now; the KeyboardInterrupt traceback the interrupt causes is noise.
        sent.frozen = true;
        const outputs = collector.outputs.map((o) => ({ ...o })) as Output[];
        const stopped = await this.interruptAndSettle(kernelId, future);
        const after = stopped
          ? 'the kernel was interrupted (KeyboardInterrupt); its state up to that point is kept.'
          : 'the kernel did not stop after an interrupt and may still be busy: call interrupt_kernel again or restart_kernel.';
        const message =
          outcome.kind === 'timeout'
            ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included. Pass a larger timeout (in seconds) for long-running code.`
            : `Execution cancelled by the client after ${seconds} s: ${after}`;
        return { status: outcome.kind === 'timeout' ? 'timeout' : 'aborted', execution_count: collector.executionCount, outputs, message };
      }
      case 'died': {
        future.dispose();
        const mine = this.link.restarting.has(kernelId);
        throw new KernelError(
          mine
            ? `Kernel ${kernelId} was restarted while this code ran (after ${seconds} s): the run was lost and all variables are gone. Run the code again.`
            : `Kernel ${kernelId} died while running this code (after ${seconds} s; status "${outcome.status}"): all its variables are lost` +
                `${outcome.status === 'dead' ? '' : ' (the Jupyter server is restarting it)'}. ` +
                'Call restart_kernel with this kernel_id, then re-run the cells that define the state you need. If it dies again, the code may use too much memory or crash the interpreter.',
          'dead',
        );
      }
      case 'lost': {
        future.dispose();
        this.link.dropConnection(kernelId);
        throw new KernelError(
          `Lost the connection to the Jupyter server at ${this.link.url} while the code ran (after ${seconds} s): ${outcome.reason}. ` +
            `${collector.outputs.length} output(s) had arrived; the result of the run is unknown. ${START_HINT}, then check the kernel with list_kernels.`,
          'connection',
        );
      }
      case 'garbled': {
        future.dispose();
        throw new KernelError(
          `The Jupyter server at ${this.link.url} sent a websocket frame for kernel ${kernelId} that is not a valid Jupyter message (${outcome.reason}) while the code ran (after ${seconds} s): ` +
            `the connection was closed, so the result of this run is unknown (${collector.outputs.length} output(s) had arrived). The kernel was not touched (the code may still be running there; its variables are kept): ` +
            'check its state (e.g. print a variable the code sets) and run the code again if needed. If this repeats, something between Jupyter MCP and the server alters the traffic (a proxy, or the network on an http:// URL): connect directly or over https://.',
          'connection',
        );
      }
      case 'failed': {
        future.dispose();
        throw await this.link.translate(outcome.error, 'run the code');
      }
    }
  }

  /** Waits for the first of: the reply, the time-out, the client's abort, a kernel death, a lost server. */
  private waitOutcome(
    kernelId: string,
    conn: Connection,
    future: JS.Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>,
    ms: number,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        watchers.delete(onBadFrame);
        if (watchers.size === 0 && this.link.badFrameWatchers.get(kernelId) === watchers) this.link.badFrameWatchers.delete(kernelId);
        conn.statusChanged.disconnect(onStatus);
        conn.connectionStatusChanged.disconnect(onConnection);
        resolve(o);
      };
      const timer = setTimeout(() => finish({ kind: 'timeout' }), ms);
      const onAbort = () => finish({ kind: 'abort' });
      const onBadFrame = (reason: string) => finish({ kind: 'garbled', reason });
      const watchers = this.link.badFrameWatchers.get(kernelId) ?? new Set();
      this.link.badFrameWatchers.set(kernelId, watchers);
      watchers.add(onBadFrame);
      signal?.addEventListener('abort', onAbort, { once: true });
      const onStatus = (_: unknown, status: string) => {
        if (status === 'dead' || status === 'restarting' || status === 'autorestarting') finish({ kind: 'died', status });
      };
      // A dropped websocket alone is not fatal (the client reconnects and the server replays
      // buffered messages); an unreachable server is, and is reported at once instead of hanging.
      const onConnection = (_: unknown, status: string) => {
        if (status === 'connected') return;
        void this.link.probe().then((why) => {
          if (why && !settled) finish({ kind: 'lost', reason: why.message.replace(/^Cannot connect to Jupyter server at \S+: /, '').replace(/\. Start one.*$/, '') });
          else if (status === 'disconnected') finish({ kind: 'lost', reason: 'the kernel websocket closed and could not reconnect' });
        });
      };
      conn.statusChanged.connect(onStatus);
      conn.connectionStatusChanged.connect(onConnection);
      future.done.then(
        (reply) => finish({ kind: 'done', reply: reply as KernelMessage.IExecuteReplyMsg }),
        (error) => {
          // Futures are cancelled when the kernel restarts or the connection is disposed: name it.
          if (['dead', 'restarting', 'autorestarting'].includes(conn.status) || this.link.restarting.has(kernelId)) finish({ kind: 'died', status: conn.status });
          else finish({ kind: 'failed', error });
        },
      );
      if (conn.connectionStatus !== 'connected') onConnection(undefined, conn.connectionStatus);
    });
  }

  /** Interrupts the kernel and waits briefly for the interrupted request to finish (true if it did). */
  private async interruptAndSettle(kernelId: string, future: { done: Promise<unknown>; isDisposed: boolean; dispose(): void }): Promise<boolean> {
    const { KernelAPI } = services();
    try {
      await withTimeout(KernelAPI.interruptKernel(kernelId, this.link.settings), 5000, () => new Error('interrupt timed out'));
    } catch (e) {
      this.link.log.warn(`interrupt of ${kernelId} failed: ${redact(e instanceof Error ? e.message : String(e))}`);
    }
    const stopped = await Promise.race([future.done.then(() => true, () => true), sleep(3000).then(() => false)]);
    if (!future.isDisposed) future.dispose();
    return stopped;
  }
}
