// Another client that pings while a test does something heavy, and what its pings must show:
// the server kept answering (issue #18's hostile-Jupyter and large-input tests).
import assert from 'node:assert/strict';
import { cpus, loadavg } from 'os';
import { raw, rawSession, rpcMessages, sleep } from './reliability';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * Another client that pings every 20 ms over plain HTTP requests on fresh connections (as in
 * huge-notebook.test.ts: keep-alive sockets are reset by a server that stalled), until stopped.
 */
export async function startPinger(port: number): Promise<{ stop(): Promise<{ times: number[]; failures: string[] }> }> {
  const sid = await rawSession(port);
  const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
  const times: number[] = [];
  const failures: string[] = [];
  let running = true;
  let id = 1000;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await raw(port, { body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'ping' }), headers });
        const m = rpcMessages(r.body)[0];
        if (r.status !== 200 || !m || m.error) failures.push(`HTTP ${r.status} ${r.body.slice(0, 100)}`);
        else times.push(performance.now() - t0);
      } catch (e) {
        failures.push((e as Error).message);
        await sleep(200);
      }
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { times, failures };
    },
  };
}

/**
 * Prints the pings' figures and checks their p99: ≤ 100 ms (the goal) on a machine that is not
 * overloaded; on this shared 2-core machine under a load average above 2 per core, CPU starvation
 * alone makes 100 ms pauses (docs/RELIABILITY.md), so there the bound is 500 ms, which still
 * catches a server that stalls (or, as before the fixes, one that died: its pings fail).
 */
export function checkPings(what: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const p99 = quantile(sorted, 0.99);
  const load = loadavg()[0] / cpus().length;
  console.log(`${what}: ${sorted.length} pings, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  const bound = load > 2 ? 500 : 100;
  assert.ok(p99 <= bound, `${what}: ping p99 ${p99.toFixed(1)} ms > ${bound} ms`);
}
