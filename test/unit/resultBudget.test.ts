// The result budget's last guard, the result shape per client, the options that set them, and the
// pager's guarantees on notebooks built to break it (no network, no vscode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { fitResult, resolveShape } from '../../src/server/mcpServer';
import { CLIENT_BUDGETS, DEFAULT_RESULT_CHARS, sessionBudget, sessionLimits } from '../../src/server/clientBudgets';
import type { OutputLimits } from '../../src/common/content';
import { resolveSettings, UsageError } from '../../src/config';
import { pageCells, restoreFromView } from '../../src/tools/notebookView';
import { emptyNotebook, splitLines, type Cell, type Notebook } from '../../src/notebooks/nbformat';
import { capText } from '../../src/kernels/outputs';

test('fitResult leaves results under the budget untouched', () => {
  const structured = { a: 1, b: 'x'.repeat(100) };
  assert.deepEqual(fitResult('short', structured, 1000), { text: 'short', structured, images: [] });
  assert.deepEqual(fitResult('short', undefined, 1000, { measure: 'result' }), { text: 'short', structured: undefined, images: [] });
});

test('per-client budgets: VS Code and Cline 8,000, every other client the default; a budget set explicitly applies to every client', () => {
  const perClient = { maxResultChars: DEFAULT_RESULT_CHARS, maxResultCharsSet: false };
  const vscode = sessionBudget(perClient, { name: 'Visual Studio Code', version: '1.139.1' });
  assert.deepEqual([vscode.chars, vscode.measure, vscode.toolChars, vscode.images], [8000, 'structured', 8000, true]);
  // Other builds of VS Code carry the same Copilot (code-server's MCP client says "code-server").
  for (const name of ['code-server', 'Code - OSS', 'VSCodium', 'Visual Studio Code - Insiders']) assert.equal(sessionBudget(perClient, { name, version: '1.139.1' }).chars, 8000, name);
  // Cline 4 reads the JSON of the whole result: the tools get less, the guard measures the rest.
  const cline = sessionBudget(perClient, { name: 'Cline', version: '4.1.0' });
  assert.deepEqual([cline.chars, cline.measure, cline.images], [8000, 'result', false]);
  assert.ok(cline.toolChars < 8000 && cline.toolChars >= 6000, `${cline.toolChars}`);
  assert.equal(sessionBudget(perClient, { name: 'Cline', version: '3.38.0' }).images, true, 'Cline 3 showed images');
  for (const name of ['claude-code', 'Roo Code', 'inspector-client', 'jupyter-mcp-tests']) {
    assert.equal(sessionBudget(perClient, { name, version: '1' }).chars, 40_000, name);
  }
  assert.equal(sessionBudget(perClient, undefined).chars, 40_000, 'before initialize');
  const set = { maxResultChars: 20_000, maxResultCharsSet: true };
  for (const name of ['Visual Studio Code', 'Cline', 'claude-code']) assert.equal(sessionBudget(set, { name, version: '1' }).chars, 20_000, name);
  // Every row names its client and why.
  for (const row of CLIENT_BUDGETS) assert.ok(row.client && row.why.length > 40 && row.chars >= 4000, row.client);
});

test("a session's limits: maxResultChars is the client's budget; the other limits follow a settings change made after the session began", () => {
  const shared: OutputLimits = { maxOutputChars: 20_000, maxImageBytes: 1000, maxResultChars: 40_000 };
  let client = { name: 'Visual Studio Code', version: '1' };
  const limits = sessionLimits(shared, () => sessionBudget(shared, client));
  assert.equal(limits.maxResultChars, 8000);
  Object.assign(shared, { maxOutputChars: 5000, maxResultChars: 12_000, maxResultCharsSet: true });
  assert.equal(limits.maxOutputChars, 5000);
  assert.equal(limits.maxResultChars, 12_000, 'an explicit setting applies at once');
  client = { name: 'Roo Code', version: '3' };
  assert.equal({ ...limits }.maxResultChars, 12_000, 'spread copies see the session budget too');
});

test('fitResult for a client that reads the JSON of the whole result (Cline 4): that JSON fits, the cut is said, images become a note', () => {
  // Text full of quotes and line breaks grows by a third once escaped in the result's JSON.
  const text = Array.from({ length: 300 }, (_, i) => `{"line": ${i}, "text": "a \\"quoted\\" value"}`).join('\n');
  assert.ok(text.length < 16_000);
  const r = fitResult(text, undefined, 8000, { measure: 'result' });
  const json = JSON.stringify({ content: [{ type: 'text', text: r.text }] });
  assert.ok(json.length <= 8000, `${json.length}`);
  assert.ok(json.length > 7000, `not cut more than needed: ${json.length}`);
  assert.ok(r.text.startsWith('{"line": 0,'));
  assert.ok(r.text.endsWith('{"line": 299, "text": "a \\"quoted\\" value"}'));
  assert.match(r.text, /result cut: \d+ bytes are over the 8000-byte budget/);
  assert.match(r.cut ?? '', /result JSON \d+ bytes/);
  const image = { type: 'image' as const, data: 'A'.repeat(30_000), mimeType: 'image/png' };
  const withImage = fitResult('read_output: image/png, 366×256; the image follows.', undefined, 8000, { measure: 'result', images: [image], imagesShown: false });
  assert.deepEqual(withImage.images, []);
  assert.match(withImage.text, /1 image not included: this client hands image blocks to its model as base64 text/);
  assert.deepEqual(fitResult('x', undefined, 8000, { measure: 'result', images: [image], imagesShown: true }).images, [image]);
});

test('fitResult cuts an oversized text to the budget, keeping head and tail and saying so', () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
  const r = fitResult(text, undefined, 4000);
  assert.ok(r.text.length <= 4000, `${r.text.length}`);
  assert.ok(r.text.startsWith('line 0\nline 1\n'));
  assert.ok(r.text.endsWith('line 4999'));
  assert.match(r.text, /result cut: \d+ bytes are over the 4000-byte budget of this client \(--max-result-chars\)/);
  assert.ok(r.cut);
});

test('fitResult measures UTF-8 bytes: text in characters under the budget but over it in bytes is cut to fit in bytes', () => {
  const text = '数据分析 '.repeat(1500); // 7,500 characters, 19,500 bytes
  assert.ok(text.length < 8000);
  const r = fitResult(text, undefined, 8000);
  assert.ok(Buffer.byteLength(r.text) <= 8000, `${Buffer.byteLength(r.text)} bytes`);
  assert.ok(Buffer.byteLength(r.text) > 7000, 'not cut more than needed');
  assert.ok(r.text.startsWith('数据分析 数据分析'));
  const structured = { path: 'a.ipynb', text: 'é'.repeat(5000) };
  const s = fitResult('t', structured, 8000);
  assert.ok(Buffer.byteLength(JSON.stringify(s.structured)) <= 8000);
  assert.match(String(s.structured!.result_cut), /left out: text \(10002 bytes\)/);
});

test('fitResult keeps the small fields of an oversized structuredContent and names what it left out', () => {
  const structured = { path: 'a.ipynb', cell_count: 3, notebook: { cells: ['y'.repeat(10_000)] }, next: { tool: 'read_notebook', arguments: { path: 'a.ipynb', start_index: 1 } } };
  const r = fitResult('t', structured, 4000);
  assert.ok(JSON.stringify(r.structured).length <= 4000);
  assert.equal(r.structured!.path, 'a.ipynb');
  assert.deepEqual(r.structured!.next, structured.next);
  assert.match(String(r.structured!.result_cut), /left out: notebook \(\d+ bytes\)/);
});

test('result shape: auto gives structuredContent to every client except Claude Code before 2.1.197; the setting overrides', () => {
  assert.equal(resolveShape('auto', { name: 'claude-code', version: '2.1.100' }), 'text');
  assert.equal(resolveShape('auto', { name: 'claude-code', version: '2.0.21' }), 'text');
  assert.equal(resolveShape('auto', { name: 'claude-code', version: '2.1.197' }), 'structured');
  assert.equal(resolveShape('auto', { name: 'claude-code', version: '2.1.332' }), 'structured');
  assert.equal(resolveShape('auto', { name: 'Visual Studio Code', version: '1.106.0' }), 'structured');
  assert.equal(resolveShape(undefined, undefined), 'structured');
  assert.equal(resolveShape('text', { name: 'Visual Studio Code', version: '1' }), 'text');
  assert.equal(resolveShape('structured', { name: 'claude-code', version: '2.1.100' }), 'structured');
  // Cline's model gets the JSON of the whole result: one view, the text.
  assert.equal(resolveShape('auto', { name: 'Cline', version: '4.0.0' }), 'text');
  assert.equal(resolveShape(undefined, { name: 'Cline', version: '4.0.0' }), 'text');
  assert.equal(resolveShape('structured', { name: 'Cline', version: '4.0.0' }), 'structured');
  assert.equal(resolveShape('auto', { name: 'Roo Code', version: '3.30.0' }), 'structured');
});

test('--max-result-chars and --result-shape: defaults, values, and clear errors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-cfg-'));
  try {
    const d = resolveSettings([], {}, dir);
    assert.equal(d.limits.maxResultChars, 40_000);
    assert.equal(d.limits.maxResultCharsSet, false, 'not given: per client');
    assert.equal(d.sources?.maxResultChars, 'default');
    assert.equal(d.limits.resultShape, 'auto');
    const s = resolveSettings(['--max-result-chars', '20000', '--result-shape', 'text'], {}, dir);
    assert.equal(s.limits.maxResultChars, 20_000);
    assert.equal(s.limits.maxResultCharsSet, true, 'given: every client');
    assert.equal(s.sources?.maxResultChars, '--max-result-chars');
    const e = resolveSettings([], { JUPYTER_MCP_MAX_RESULT_CHARS: '9000' }, dir);
    assert.deepEqual([e.limits.maxResultChars, e.limits.maxResultCharsSet, e.sources?.maxResultChars], [9000, true, 'JUPYTER_MCP_MAX_RESULT_CHARS']);
    assert.equal(s.limits.resultShape, 'text');
    assert.throws(() => resolveSettings(['--max-result-chars', '100'], {}, dir), (e: Error) => e instanceof UsageError && /--max-result-chars must be a number between 4000 and 10000000/.test(e.message));
    assert.throws(() => resolveSettings(['--result-shape', 'json'], {}, dir), (e: Error) => e instanceof UsageError && /--result-shape must be auto, structured or text, not "json"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function nb(cells: Cell[]): Notebook {
  const n = emptyNotebook({ name: 'python3' });
  n.cells.push(...cells);
  return n;
}

test('a cell bigger than the page (huge source, 300 outputs) still comes back shrunk under the budget, and paging moves on', () => {
  const huge: Cell = { cell_type: 'code', id: 'huge', metadata: {}, execution_count: 1, source: splitLines('x = 1\n'.repeat(20_000)), outputs: Array.from({ length: 300 }, (_, i) => ({ output_type: 'stream', name: 'stdout', text: [`line ${i} `.repeat(200)] })) };
  const small: Cell = { cell_type: 'markdown', id: 'small', metadata: {}, source: ['# after'] };
  const n = nb([huge, small]);
  const limits = { maxImageBytes: 1000, maxOutputChars: 20_000 };
  const p1 = pageCells({ path: 'h.ipynb', notebook: n, start: 0, end: 2, budget: 8000, limits }, 'full');
  assert.equal(p1.cells.length, 1);
  assert.equal(p1.nextStart, 1);
  assert.ok(JSON.stringify(p1.cells).length <= 8000, `${JSON.stringify(p1.cells).length}`);
  assert.match(String(p1.cells[0].source), /Read the whole source with read_output \{"path":"h\.ipynb","cell_id":"huge","offset":\d+\}/);
  const raw = pageCells({ path: 'h.ipynb', notebook: n, start: 0, end: 2, budget: 8000, limits }, 'raw');
  assert.equal(raw.nextStart, 1);
  assert.ok(JSON.stringify(raw.cells).length <= 8000, `raw: ${JSON.stringify(raw.cells).length}`);
  const p2 = pageCells({ path: 'h.ipynb', notebook: n, start: 1, end: 2, budget: 8000, limits }, 'full');
  assert.deepEqual(p2.cells.map((c) => c.id), ['small']);
  assert.equal(p2.nextStart, 2);
});

test('restoreFromView: a cut source left as shown is restored; an edited one is kept; a page is refused', () => {
  const long = 'y = 2\n'.repeat(5000);
  const orig = nb([{ cell_type: 'code', id: 'c1', metadata: { tags: ['t'] }, execution_count: 3, source: splitLines(long), outputs: [{ output_type: 'stream', name: 'stdout', text: ['out\n'] }] }]);
  const shown = capText(long, 1000, () => 'hint');
  const view = { nbformat: 4, nbformat_minor: 5, metadata: {}, read_from: { path: 'a.ipynb', version: 'v', complete: true }, cells: [{ index: 0, id: 'c1', cell_type: 'code', source: shown, execution_count: 3, outputs: [] }] };
  assert.deepEqual(restoreFromView(view, orig).cells, orig.cells);
  const edited = { ...view, cells: [{ ...view.cells[0], source: 'z = 3' }] };
  assert.deepEqual((restoreFromView(edited, orig).cells as Cell[])[0], { ...orig.cells[0], source: ['z = 3'] });
  assert.throws(() => restoreFromView({ ...view, read_from: { ...view.read_from, complete: false } }, orig), /one page of read_notebook's view of a\.ipynb/);
});
