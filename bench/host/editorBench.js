// Runs INSIDE the real VS Code extension host (code-server), loaded as `extensionTestsPath` by
// test/host/harness.ts runHostTests(). Plain CommonJS: no build step.
// Measures, on the 471-cell notebook open in the editor:
//   - the floor: the same edits as raw WorkspaceEdits (NotebookEdit), in memory, no save — what
//     in-editor tools do;
//   - the product: add_cell / update_cell / move_cell / read_notebook through the extension's own MCP
//     server over HTTP (served by the editor store because the notebook is open), with the
//     jupyterMcp.saveAfterEdit setting on (default: the document is saved after each edit) and off;
//   - the extension's activation time as it reports it (exports.activationMs).
// Results go to the console as one line: `[Extension Host] JMCP_BENCH {json}`.
const vscode = require('vscode');
const fs = require('fs');
const path = require('path');
const { mcpClient, reportErrors, waitFor } = require('./mcpClient');

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';
const RUNS = Number(process.env.JMCP_BENCH_RUNS) || 20;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1], raw: xs };
}

async function timeRuns(n, fn) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  return stats(xs);
}


/** The raw WorkspaceEdit an in-editor tool makes to move a cell: delete it, insert a copy at `to`. */
function rawMove(doc, from, to) {
  const cell = doc.cellAt(from);
  const data = new vscode.NotebookCellData(cell.kind, cell.document.getText(), cell.document.languageId);
  data.outputs = [...cell.outputs];
  data.metadata = cell.metadata;
  data.executionSummary = cell.executionSummary;
  const e = new vscode.WorkspaceEdit();
  e.set(doc.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(from, from + 1)), vscode.NotebookEdit.insertCells(to, [data])]);
  return e;
}

async function run() {
  const out = { runs: RUNS };
  const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  const api = ext.isActive ? ext.exports : await ext.activate();
  out.activationMs = api && typeof api.activationMs === 'number' ? api.activationMs : null;

  // The floor: raw WorkspaceEdits on a second copy, in memory.
  const peerDoc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(folder, 'peer.ipynb')));
  const apply = async (edit) => {
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('applyEdit refused');
  };
  const mid = Math.floor(peerDoc.cellCount / 2);
  const peerEdits = async () => ({
    read: await timeRuns(RUNS, () => {
      // What an in-editor read does: walk every cell's text and outputs.
      let chars = 0;
      for (const c of peerDoc.getCells()) chars += c.document.getText().length + c.outputs.length;
      return chars;
    }),
    insert: await timeRuns(RUNS, async (i) => {
      const e = new vscode.WorkspaceEdit();
      e.set(peerDoc.uri, [vscode.NotebookEdit.insertCells(mid, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, `peer_${i} = ${i}`, 'python')])]);
      await apply(e);
    }),
    update: await timeRuns(RUNS, async (i) => {
      const cell = peerDoc.cellAt((i * 37) % peerDoc.cellCount);
      const e = new vscode.WorkspaceEdit();
      e.replace(cell.document.uri, new vscode.Range(0, 0, cell.document.lineCount, 0), `# updated ${i}\ny = ${i}`);
      await apply(e);
    }),
    move: await timeRuns(RUNS, async (i) => {
      const from = (i * 53) % peerDoc.cellCount;
      const to = (i * 29) % (peerDoc.cellCount - 1);
      await apply(rawMove(peerDoc, from, to));
    }),
  });
  // Open but not shown (no rendering), then shown in an editor (the workbench renders the cells).
  out.peerHidden = await peerEdits();
  await vscode.window.showNotebookDocument(peerDoc);
  out.peer = await peerEdits();
  // Leave the peer copy unsaved: close without saving happens when the host stops.

  // The product, through its MCP server (published to JUPYTER_MCP_PORT_FILE by the extension).
  const portFile = process.env.JUPYTER_MCP_PORT_FILE;
  const info = await waitFor(() => {
    try {
      return JSON.parse(fs.readFileSync(portFile, 'utf8'));
    } catch {
      return undefined;
    }
  }, 60_000, 'the MCP server port file');
  const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(folder, 'big.ipynb')));
  await vscode.window.showNotebookDocument(doc);
  const client = await mcpClient(info.url, info.token);
  const first = await client.call('read_notebook', { path: 'big.ipynb', format: 'outline' });
  out.store = first.store;
  // Outline entries are lines since issue #10, the id second since #19 ("[3] ab12cd34 code 5L: …",
  // as bench/files.ts reads them).
  const ids = first.outline.map((c) => (typeof c === 'string' ? /^\[\d+\] (\S+)/.exec(c)?.[1] : c.id));
  if (ids.length === 0 || ids.some((id) => !id)) throw new Error(`no cell ids in the outline: ${JSON.stringify(first.outline.slice(0, 2))}`);
  const config = vscode.workspace.getConfiguration('jupyterMcp');
  const mcp = {};
  // Paired runs: each MCP edit right after the same raw WorkspaceEdit on the peer copy, both
  // notebooks shown side by side, so that the load of a shared machine (which drifts over the
  // minutes a run takes) weighs on both sides of the ratio alike.
  await config.update('saveAfterEdit', false, vscode.ConfigurationTarget.Global);
  await vscode.window.showNotebookDocument(peerDoc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  const paired = { add: { raw: [], mcp: [], ping: [] }, update: { raw: [], mcp: [], ping: [] }, move: { raw: [], mcp: [], ping: [] } };
  // Step timers inside the extension (src/util/phases.ts, on with JMCP_BENCH_PHASES=1): per op,
  // the p50 of each step of the MCP call, to see where the time goes beyond the raw edit.
  const phases = {};
  const takePhases = (op) => {
    const laps = globalThis.__jmcpPhases || {};
    phases[op] = Object.fromEntries(Object.entries(laps).map(([k, xs]) => [k, Math.round(stats(xs).p50 * 100) / 100]));
    globalThis.__jmcpPhases = {};
  };
  globalThis.__jmcpPhases = {};
  const time = async (xs, fn) => {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  };
  for (let i = 0; i < RUNS; i++) {
    await time(paired.add.raw, async () => {
      const e = new vscode.WorkspaceEdit();
      e.set(peerDoc.uri, [vscode.NotebookEdit.insertCells(mid, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, `pair_${i} = ${i}`, 'python')])]);
      await apply(e);
    });
    await time(paired.add.mcp, () => client.call('add_cell', { path: 'big.ipynb', cell_type: 'code', source: `pair_${i} = ${i}`, index: Math.floor(ids.length / 2) }));
    await time(paired.add.ping, () => client.ping());
  }
  takePhases('add');
  for (let i = 0; i < RUNS; i++) {
    await time(paired.update.raw, async () => {
      const cell = peerDoc.cellAt((i * 41) % peerDoc.cellCount);
      const e = new vscode.WorkspaceEdit();
      e.replace(cell.document.uri, new vscode.Range(0, 0, cell.document.lineCount, 0), `# paired ${i}\ny = ${i}`);
      await apply(e);
    });
    await time(paired.update.mcp, () => client.call('update_cell', { path: 'big.ipynb', cell_id: ids[(i * 41) % ids.length], source: `# paired ${i}\ny = ${i}` }));
    await time(paired.update.ping, () => client.ping());
  }
  takePhases('update');
  for (let i = 0; i < RUNS; i++) {
    const from = (i * 59) % peerDoc.cellCount;
    const to = (i * 31) % (Math.min(peerDoc.cellCount, ids.length) - 1);
    await time(paired.move.raw, async () => {
      await apply(rawMove(peerDoc, from, to));
    });
    await time(paired.move.mcp, () => client.call('move_cell', { path: 'big.ipynb', cell_id: ids[(i * 59) % ids.length], to_index: to }));
    await time(paired.move.ping, () => client.ping());
  }
  takePhases('move');
  out.phases = phases;
  // Besides the ratio of the two p50s (the target): the median of each pair's own ratio, which a
  // shared machine's load drifting within the loop sways less.
  out.paired = Object.fromEntries(Object.entries(paired).map(([k, v]) => [k, { raw: stats(v.raw), mcp: stats(v.mcp), ping: stats(v.ping), pairRatio: stats(v.mcp.map((m, i) => m / v.raw[i])).p50 }]));
  for (const v of Object.values(out.paired)) for (const s of Object.values(v)) if (typeof s === 'object') delete s.raw;
  mcp.readOutline = await timeRuns(RUNS, () => client.call('read_notebook', { path: 'big.ipynb', format: 'outline' }));
  mcp.readFull = await timeRuns(Math.min(RUNS, 10), () => client.call('read_notebook', { path: 'big.ipynb' }));
  for (const save of [false, true]) {
    await config.update('saveAfterEdit', save, vscode.ConfigurationTarget.Global);
    const k = save ? 'save' : 'nosave';
    const n = save ? Math.max(3, Math.round(RUNS / 4)) : RUNS;
    mcp[`add_${k}`] = await timeRuns(n, (i) => client.call('add_cell', { path: 'big.ipynb', cell_type: 'code', source: `mcp_${k}_${i} = ${i}`, index: Math.floor(ids.length / 2) }));
    mcp[`update_${k}`] = await timeRuns(n, (i) => client.call('update_cell', { path: 'big.ipynb', cell_id: ids[(i * 37) % ids.length], source: `# mcp ${k} ${i}\nz = ${i}` }));
    mcp[`move_${k}`] = await timeRuns(n, (i) => client.call('move_cell', { path: 'big.ipynb', cell_id: ids[(i * 53) % ids.length], to_index: (i * 29) % ids.length }));
  }
  out.mcp = mcp;
  out.cellCountAfter = doc.cellCount;
  out.dirtyAfter = doc.isDirty;
  for (const v of [out.peer, out.peerHidden, out.mcp]) for (const s of Object.values(v)) delete s.raw;
  console.log(`[Extension Host] JMCP_BENCH ${JSON.stringify(out)}`);
}

module.exports = { run: () => reportErrors(run) };
