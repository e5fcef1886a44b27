// The result budget's last guard, the result shape per client, the options that set them, and the
// pager's guarantees on notebooks built to break it (no network, no vscode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { fitResult, resolveShape } from '../../src/server/mcpServer';
import { resolveSettings, UsageError } from '../../src/config';
import { pageCells, restoreFromView } from '../../src/tools/notebookView';
import { emptyNotebook, splitLines, type Cell, type Notebook } from '../../src/notebooks/nbformat';
import { capText } from '../../src/kernels/outputs';

test('fitResult leaves results under the budget untouched', () => {
  const structured = { a: 1, b: 'x'.repeat(100) };
  assert.deepEqual(fitResult('short', structured, 1000), { text: 'short', structured });
});

test('fitResult cuts an oversized text to the budget, keeping head and tail and saying so', () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
  const r = fitResult(text, undefined, 4000);
  assert.ok(r.text.length <= 4000, `${r.text.length}`);
  assert.ok(r.text.startsWith('line 0\nline 1\n'));
  assert.ok(r.text.endsWith('line 4999'));
  assert.match(r.text, /result cut: \d+ characters are over the 4000-character budget \(--max-result-chars\)/);
  assert.ok(r.cut);
});

test('fitResult keeps the small fields of an oversized structuredContent and names what it left out', () => {
  const structured = { path: 'a.ipynb', cell_count: 3, notebook: { cells: ['y'.repeat(10_000)] }, next: { tool: 'read_notebook', arguments: { path: 'a.ipynb', start_index: 1 } } };
  const r = fitResult('t', structured, 4000);
  assert.ok(JSON.stringify(r.structured).length <= 4000);
  assert.equal(r.structured!.path, 'a.ipynb');
  assert.deepEqual(r.structured!.next, structured.next);
  assert.match(String(r.structured!.result_cut), /left out: notebook \(\d+ characters\)/);
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
});

test('--max-result-chars and --result-shape: defaults, values, and clear errors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-cfg-'));
  try {
    const d = resolveSettings([], {}, dir);
    assert.equal(d.limits.maxResultChars, 40_000);
    assert.equal(d.limits.resultShape, 'auto');
    const s = resolveSettings(['--max-result-chars', '20000', '--result-shape', 'text'], {}, dir);
    assert.equal(s.limits.maxResultChars, 20_000);
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
