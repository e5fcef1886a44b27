// Progress notifications of one tool call, and the one that ends them. VS Code shows a call's last
// progress message as its label while it runs, and its chat kept that label on the finished call
// ("Running: 5 s, 1 output" beside a done check mark, where "Ran Run code in a kernel" belongs):
// the part that shows a finished MCP call's input and output is built while the call is still
// marked executing and takes the last progress message as its title. So a call that reported a
// message ends with one more notification that carries none, which clears it (VS Code sets the
// message of each notification, absent included). Values keep growing, as MCP requires.
import type { ProgressToken } from '@modelcontextprotocol/sdk/types.js';

type Send = (n: { method: 'notifications/progress'; params: Record<string, unknown> }) => Promise<void>;

export interface ProgressLabel {
  /** Sends one progress notification (nothing when the caller asked for no progress). */
  report(progress: number, message?: string, total?: number): Promise<void>;
  /** Clears the last message, if one was sent: call before the result goes out. */
  end(): Promise<void>;
}

export function progressLabel(send: Send, token: ProgressToken | undefined): ProgressLabel {
  let last: number | undefined;
  let total: number | undefined;
  let labelled = false;
  const notify = (params: Record<string, unknown>): Promise<void> =>
    token === undefined ? Promise.resolve() : send({ method: 'notifications/progress', params: { progressToken: token, ...params } }).catch(() => undefined);
  return {
    report(progress, message, t) {
      if (token === undefined) return Promise.resolve();
      last = progress;
      total = t;
      labelled = !!message;
      return notify({ progress, ...(t !== undefined ? { total: t } : {}), ...(message ? { message } : {}) });
    },
    async end() {
      if (!labelled || last === undefined) return;
      labelled = false;
      // The whole of a known total if not reached yet, else one step further (and no total).
      const done = total !== undefined && last < total ? total : last + 1;
      await notify({ progress: done, ...(total !== undefined && done <= total ? { total } : {}) });
    },
  };
}
