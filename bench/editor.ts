// Scenario 2 (+ activation in the real host for scenario 6): the 471-cell notebook open in a REAL
// VS Code extension host (code-server + headless chromium, test/host/harness.ts). bench/host/
// editorBench.js runs inside the host and reports one JSON line.
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { writeLargeNotebook } from '../test/fixtures/generate-large';
import { log, ROOT, type Row } from './lib';

const S2 = '2 editor/VS Code';

export async function runEditor(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const notMeasured = (why: string) => ({
    rows: [{ scenario: S2, case: '471 cells: edits through WorkspaceEdit (editor store)', target: '≤ 7 ms p50', note: `NOT MEASURED: ${why}` } as Row],
    extra: { notMeasured: why },
  });
  let harness: typeof import('../test/host/harness');
  try {
    harness = await import('../test/host/harness');
    harness.hostPaths();
  } catch (e) {
    return notMeasured(`VS Code host not available (${(e as Error).message.split('\n')[0]})`);
  }
  if (!existsSync(path.join(ROOT, 'src', 'editor', 'documentStore.ts'))) return notMeasured('src/editor/documentStore.ts (editor store) is not there yet');
  if (!existsSync(path.join(ROOT, 'dist', 'runtime.js'))) return notMeasured('dist/runtime.js is not built (the extension cannot start its server)');

  const ws = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-host-'));
  writeLargeNotebook(path.join(ws, 'big.ipynb'), { cells: 471, seed: 1 });
  writeLargeNotebook(path.join(ws, 'peer.ipynb'), { cells: 471, seed: 1 });
  const portFile = path.join(ws, '.mcp-port');
  log('editor: starting the VS Code host (code-server + chromium)');
  try {
    const result = await harness.runHostTests({
      extensionPath: ROOT,
      testsPath: path.join(__dirname, 'host', 'editorBench.js'),
      workspace: ws,
      env: { JUPYTER_MCP_PORT_FILE: portFile, JMCP_BENCH_RUNS: String(o.quick ? 8 : 20), JMCP_BENCH_PHASES: '1' },
      timeoutMs: 480_000,
    });
    const line = [...result.output, ...result.log].map((l) => /JMCP_BENCH (\{.*\})/.exec(l)).find(Boolean);
    if (!line) {
      const err = [...result.output, ...result.log].find((l) => l.includes('JMCP_BENCH_ERROR'));
      if (err) return notMeasured(`the in-host bench failed: ${err.slice(err.indexOf('JMCP_BENCH_ERROR') + 17, 700)}`);
      const tail = [...result.output.slice(-10), ...result.log.filter((l) => /error|Error/.test(l)).slice(-10)].join(' | ');
      return notMeasured(`the in-host bench did not report (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${tail.slice(0, 600)}`);
    }
    const r = JSON.parse(line[1]);
    const label = '471 cells (2.8 MB)';
    const rows: Row[] = [];
    const dist = (name: string, s: any, extra: Partial<Row> = {}): Row => ({ scenario: S2, case: `${label}: ${name}`, n: s.n, p50: s.p50, p95: s.p95, max: s.max, ...extra });
    rows.push(dist('peer: raw WorkspaceEdit insertCells, notebook open but not shown', r.peerHidden.insert));
    rows.push(dist('peer: raw WorkspaceEdit replace cell text, open not shown', r.peerHidden.update));
    rows.push(dist('peer: raw WorkspaceEdit insertCells, notebook shown in an editor', r.peer.insert));
    rows.push(dist('peer: raw WorkspaceEdit replace cell text, shown', r.peer.update));
    rows.push(dist('peer: raw WorkspaceEdit move (delete + insert), shown', r.peer.move));
    rows.push(dist('peer: walk every cell of the NotebookDocument (read)', r.peer.read));
    const vs = (ours: any, peer: any, withTarget: boolean): Partial<Row> => ({
      peer: 'raw WorkspaceEdit',
      peerValue: peer.p50,
      ratio: ours.p50 / peer.p50,
      ...(withTarget ? { target: '≤ 7 ms p50', pass: ours.p50 <= 7 } : {}),
    });
    rows.push(dist(`MCP read_notebook outline (store: ${r.store})`, r.mcp.readOutline));
    rows.push(dist(`MCP read_notebook full (store: ${r.store})`, r.mcp.readFull));
    rows.push(dist('MCP add_cell, saveAfterEdit off (in memory)', r.mcp.add_nosave, vs(r.mcp.add_nosave, r.peer.insert, true)));
    rows.push(dist('MCP update_cell, saveAfterEdit off (in memory)', r.mcp.update_nosave, vs(r.mcp.update_nosave, r.peer.update, true)));
    rows.push(dist('MCP move_cell, saveAfterEdit off (in memory)', r.mcp.move_nosave, vs(r.mcp.move_nosave, r.peer.move, false)));
    rows.push(dist('MCP add_cell, saveAfterEdit on (default: saved)', r.mcp.add_save, vs(r.mcp.add_save, r.peer.insert, true)));
    rows.push(dist('MCP update_cell, saveAfterEdit on (default: saved)', r.mcp.update_save, vs(r.mcp.update_save, r.peer.update, true)));
    rows.push(dist('MCP move_cell, saveAfterEdit on (default: saved)', r.mcp.move_save, vs(r.mcp.move_save, r.peer.move, false)));
    // The issue #13 target: MCP edits at the editor's speed, each run paired with the same raw edit.
    if (r.paired) {
      for (const [op, tool] of [['add', 'add_cell'], ['update', 'update_cell'], ['move', 'move_cell']] as const) {
        const p = r.paired[op];
        rows.push(dist(`paired: raw WorkspaceEdit (${op}), then…`, p.raw));
        // Where the MCP call's time goes (step timers in the extension, JMCP_BENCH_PHASES; p50 of each).
        const ph = r.phases?.[op] ?? {};
        const f = (x: number | undefined) => (typeof x === 'number' ? x.toFixed(2) : '?');
        const steps = ph['edit.applyEdit'] !== undefined
          ? `in the extension, p50: WorkspaceEdit ${f(ph['edit.applyEdit'])} ms, read-back of the document ${f(ph['edit.snapshot'])}, plan + build ${f((ph['edit.plan'] ?? 0) + (ph['edit.build'] ?? 0))}, path resolve ${f(ph['edit.resolve'])}, whole tool ${f(ph[`${tool}.handler`])}; `
          : '';
        const net = p.ping ? `MCP round trip with no tool (ping, right after) p50 ${f(p.ping.p50)} ms; without it ${((p.mcp.p50 - p.ping.p50) / p.raw.p50).toFixed(2)}× raw` : '';
        const perPair = typeof p.pairRatio === 'number' ? `; median of the per-pair ratios ${p.pairRatio.toFixed(2)}×` : '';
        rows.push(dist(`paired: …MCP ${tool}, saveAfterEdit off`, p.mcp, { peer: 'raw WorkspaceEdit, same run', peerValue: p.raw.p50, ratio: p.mcp.p50 / p.raw.p50, target: '≤ 1.2× raw p50', pass: p.mcp.p50 <= 1.2 * p.raw.p50, note: steps + net + perPair }));
      }
    }
    if (typeof r.activationMs === 'number') {
      rows.push({ scenario: '6 startup/size', case: 'activation in the real VS Code host (exports.activationMs)', value: r.activationMs, unit: 'ms', target: '≤ 50 ms', pass: r.activationMs <= 50, note: `VS Code 1.139 (code-server), whole host run ${(result.durationMs / 1000).toFixed(1)} s` });
    }
    if (r.store !== 'editor') rows.push({ scenario: S2, case: 'routing check', note: `WARNING: the open notebook was served by the "${r.store}" store, not the editor store` });
    return { rows, extra: { ...r, hostRunMs: result.durationMs, exitCode: result.exitCode } };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
