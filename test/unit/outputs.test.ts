import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { OutputCollector, renderOutputs, stripAnsi, base64Bytes, capText, collapseOverwrites, pngSize, type IopubMessage } from '../../src/kernels/outputs';

const msg = (msg_type: string, content: Record<string, unknown>): IopubMessage => ({ header: { msg_type }, content });
const limits = { maxOutputChars: 100, maxImageBytes: 1000 };

test('consecutive stream chunks of the same name merge; a different name starts a new output', () => {
  const c = new OutputCollector();
  c.handle(msg('stream', { name: 'stdout', text: 'a\n' }));
  c.handle(msg('stream', { name: 'stdout', text: 'b\n' }));
  c.handle(msg('stream', { name: 'stderr', text: 'warn\n' }));
  c.handle(msg('stream', { name: 'stdout', text: 'c' }));
  assert.deepEqual(c.outputs, [
    { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
    { output_type: 'stream', name: 'stderr', text: 'warn\n' },
    { output_type: 'stream', name: 'stdout', text: 'c' },
  ]);
});

test('progress bars collapse as a terminal (and JupyterLab) shows them: carriage returns and backspaces', () => {
  const c = new OutputCollector();
  for (const chunk of ['  0%|   | 0/3\r', ' 33%|#  | 1/3\r', ' 67%|## | 2/3\r', '100%|###| 3/3\n', 'done\n']) c.handle(msg('stream', { name: 'stderr', text: chunk }));
  assert.deepEqual(c.outputs, [{ output_type: 'stream', name: 'stderr', text: '100%|###| 3/3\ndone\n' }]);
  const d = new OutputCollector();
  // Earlier lines stay; a "\r\n" split across two chunks is still a newline.
  for (const chunk of ['line 1\nstep 1\r', 'step 2\r', '\nafter']) d.handle(msg('stream', { name: 'stdout', text: chunk }));
  assert.equal(d.outputs[0].text, 'line 1\nstep 2\nafter');
  assert.equal(collapseOverwrites('hello world\rHELLO'), 'HELLO world', 'shorter text overwrites only its own width');
  assert.equal(collapseOverwrites('abc\x08\x08X\n\x08y'), 'aX\n\x08y', 'a backspace does not reach into the previous line');
  assert.equal(collapseOverwrites('a\r\nb\r\n'), 'a\nb\n');
  assert.equal(collapseOverwrites('50%\r'), '50%\r', 'a trailing carriage return is kept for the next chunk');
  assert.equal(collapseOverwrites('plain\ntext'), 'plain\ntext');
});

test('execute_input and execute_result give the execution count; transient is never stored', () => {
  const c = new OutputCollector();
  c.handle(msg('execute_input', { code: '1+1', execution_count: 7 }));
  c.handle(msg('execute_result', { data: { 'text/plain': '2' }, metadata: {}, execution_count: 7, transient: { display_id: 'x' } }));
  assert.equal(c.executionCount, 7);
  assert.deepEqual(c.outputs, [{ output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 7 }]);
});

test('clear_output clears at once; with wait it clears when the next output arrives', () => {
  const c = new OutputCollector();
  c.handle(msg('stream', { name: 'stdout', text: '10%' }));
  c.handle(msg('clear_output', { wait: false }));
  assert.equal(c.outputs.length, 0);
  c.handle(msg('stream', { name: 'stdout', text: '50%' }));
  c.handle(msg('clear_output', { wait: true }));
  assert.equal(c.outputs.length, 1, 'wait=true keeps the output until the next one');
  c.handle(msg('stream', { name: 'stdout', text: '100%' }));
  assert.deepEqual(c.outputs, [{ output_type: 'stream', name: 'stdout', text: '100%' }]);
});

test('update_display_data rewrites every output with that display id, and only those', () => {
  const c = new OutputCollector();
  c.handle(msg('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd1' } }));
  c.handle(msg('display_data', { data: { 'text/plain': 'other' }, metadata: {} }));
  c.handle(msg('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd1' } }));
  c.handle(msg('update_display_data', { data: { 'text/plain': 'v2' }, metadata: { a: 1 }, transient: { display_id: 'd1' } }));
  c.handle(msg('update_display_data', { data: { 'text/plain': 'nobody' }, metadata: {}, transient: { display_id: 'unknown' } }));
  assert.deepEqual(
    c.outputs.map((o) => (o.data as Record<string, string>)['text/plain']),
    ['v2', 'other', 'v2'],
  );
  assert.deepEqual(c.outputs[0].metadata, { a: 1 });
  assert.ok(c.outputs.every((o) => !('transient' in o)));
});

test('error outputs keep the ANSI traceback for the notebook; the model text is stripped', () => {
  const c = new OutputCollector();
  const tb = ['\u001b[0;31m---------------------------------------------------------------------------\u001b[0m', '\u001b[0;31mNameError\u001b[0m: name \u001b[1mx\u001b[0m is not defined'];
  c.handle(msg('error', { ename: 'NameError', evalue: "name 'x' is not defined", traceback: tb }));
  assert.deepEqual(c.outputs[0].traceback, tb);
  const r = renderOutputs(c.outputs, { maxOutputChars: 10_000, maxImageBytes: 1000 });
  assert.ok(!r.text.includes('\u001b'), r.text);
  assert.match(r.text, /NameError: name x is not defined/);
  assert.ok(!(r.outputs[0].traceback as string[]).join('').includes('\u001b'));
});

test('stripAnsi removes colour, cursor and OSC hyperlink sequences', () => {
  assert.equal(stripAnsi('\u001b[1;32mok\u001b[0m \u001b[2K\u001b]8;;http://x\u0007link\u001b]8;;\u0007'), 'ok link');
});

test('long text keeps its head and tail with a note saying what was cut and how to get the rest', () => {
  const long = Array.from({ length: 50 }, (_, i) => `line ${String(i).padStart(2, '0')}\n`).join(''); // 400 chars
  const r = renderOutputs([{ output_type: 'stream', name: 'stdout', text: long }], limits, { moreHint: (i, offset) => `read_output {"output_index":${i},"offset":${offset}}` });
  const text = r.outputs[0].text as string;
  assert.ok(text.startsWith(long.slice(0, 67)), 'the first two thirds of the budget');
  assert.ok(text.endsWith(long.slice(-33)), 'the last third: the end of a log matters');
  assert.match(text, /output truncated: showing 100 of 400 characters, the first 67 and the last 33; 300 characters \(\d+ lines\) cut\. read_output \{"output_index":0,"offset":67\}\]/);
  assert.equal(capText('short', 100), 'short');
});

test('PNG and JPEG become MCP image content with newlines stripped; figure text/plain is not repeated', () => {
  const png = 'iVBORw0KGgo=\nAAAA\n';
  const r = renderOutputs(
    [
      { output_type: 'display_data', data: { 'image/png': png, 'text/plain': '<Figure size 640x480 with 1 Axes>' }, metadata: {} },
      { output_type: 'display_data', data: { 'image/jpeg': '/9j/4AAQ' }, metadata: {} },
    ],
    limits,
  );
  assert.deepEqual(r.images, [
    { type: 'image', data: 'iVBORw0KGgo=AAAA', mimeType: 'image/png' },
    { type: 'image', data: '/9j/4AAQ', mimeType: 'image/jpeg' },
  ]);
  assert.ok(!r.text.includes('<Figure'), r.text);
  assert.ok(!JSON.stringify(r.outputs).includes('iVBOR'), 'no base64 in the structured outputs');
});

test('an image over maxImageBytes becomes a text note with its size', () => {
  const big = 'A'.repeat(4000); // 3000 bytes
  assert.equal(base64Bytes(big), 3000);
  const r = renderOutputs([{ output_type: 'display_data', data: { 'image/png': big, 'text/plain': '<Figure>' }, metadata: {} }], limits);
  assert.equal(r.images.length, 0);
  assert.match(r.text, /image\/png image of 2\.9 KB not shown: larger than the 1000 B limit and could not be downscaled/);
});

test('rich outputs fall back to text/plain; without it, text mimes are shown and others named', () => {
  const r = renderOutputs(
    [
      { output_type: 'execute_result', execution_count: 3, data: { 'text/html': '<table>…</table>', 'text/plain': '   a  b\n0  1  2' }, metadata: {} },
      { output_type: 'display_data', data: { 'text/html': '<h1>Title</h1>' }, metadata: {} },
      { output_type: 'display_data', data: { 'application/vnd.custom': { a: 1 } }, metadata: {} },
    ],
    { maxOutputChars: 1000, maxImageBytes: 1000 },
  );
  assert.match(r.text, /^Out: {4}a {2}b\n0 {2}1 {2}2/);
  // The HTML of a table says what its text/plain says in many more characters: named, not repeated.
  assert.deepEqual(r.outputs[0].data, { 'text/plain': '   a  b\n0  1  2' });
  assert.equal(r.outputs[0].also, 'text/html (16 characters)');
  assert.match(r.text, /<h1>Title<\/h1>/);
  assert.match(r.text, /\[application\/vnd\.custom output, 7 characters\]/);
  assert.equal(r.outputs[0].execution_count, 3);
});

test('read results: images become a placeholder naming kind, size and how to see it; no base64 anywhere', () => {
  const nb = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'analysis.ipynb'), 'utf8'));
  const plot = nb.cells[4].outputs;
  const r = renderOutputs(plot, { maxOutputChars: 1000, maxImageBytes: 1_000_000 }, { images: 'placeholder', imageHint: (i) => `read_output {"output_index":${i}}` });
  assert.equal(r.images.length, 0, 'no image content in a read result');
  assert.equal((r.outputs[0].data as Record<string, unknown>)['image/png'], '[image/png image 366×256, 16.4 KB, not included here; to see it: read_output {"output_index":0}]');
  assert.ok(!JSON.stringify(r).includes('iVBOR'));
  assert.deepEqual(pngSize(plot[0].data['image/png']), { width: 366, height: 256 });
  assert.equal(pngSize('/9j/4AAQSkZJRg=='), undefined, 'not a PNG');
});
