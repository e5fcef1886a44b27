// Step timers for `npm run bench` only (bench/host/editorBench.js sets JMCP_BENCH_PHASES=1 in the
// VS Code host): where an edit's time goes between the MCP request and its answer. Off, a call
// costs one comparison. The figures are kept on globalThis because the bench runs in the same
// extension host process but loads none of our modules (the extension is one bundle).
const enabled = process.env.JMCP_BENCH_PHASES === '1';

type Laps = Record<string, number[]>;

function store(): Laps {
  const g = globalThis as { __jmcpPhases?: Laps };
  return (g.__jmcpPhases ??= {});
}

export interface PhaseClock {
  /** Records the time since the previous lap (or the start) under `<scope>.<name>`. */
  lap(name: string): void;
}

/** A clock for one operation, or undefined when the bench is not asking (the usual case). */
export function phaseClock(scope: string): PhaseClock | undefined {
  if (!enabled) return undefined;
  let last = performance.now();
  return {
    lap(name) {
      const now = performance.now();
      (store()[`${scope}.${name}`] ??= []).push(now - last);
      last = now;
    },
  };
}
