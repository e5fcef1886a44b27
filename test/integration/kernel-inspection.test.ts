// Issue #21: what the kernel knows (list_variables, inspect_variable, inspect_code) against a real
// Jupyter server (Debian's jupyter_server, ipykernel, pandas, numpy, IRkernel), through a real MCP
// client over HTTP. The "no trace" checks ask the kernel itself afterwards: the next cell's
// execution_count, len(In), `_`, the names in dir(), and the notebook file's bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { call, connectClient, ok, startServer, type CallResult } from '../helpers/mcp';
import { useRealJupyter, writeNotebook } from '../helpers/realJupyter';
import { allViews, findBase64 } from '../helpers/clientViews';

const NB = 'vars.ipynb';
const DEFINE =
  'import numpy, numpy as np, pandas as pd\n' +
  'n = 1_000_000\n' +
  'df = pd.DataFrame({"id": np.arange(n), "price": np.linspace(0.0, 1.0, n), "city": pd.Categorical(np.where(np.arange(n) % 2, "Lyon", "Paris"))})\n' +
  'df.loc[3, "price"] = np.nan\n' +
  'arr = np.arange(12.0).reshape(3, 4)\n' +
  'settings = {"alpha": 0.5, "names": ["a", "b"]}\n' +
  'arr.shape';

/** The text a cell printed. */
const printed = (r: any): string => (r.outputs ?? []).filter((o: any) => o.output_type === 'stream').map((o: any) => o.text).join('');

/** The view of every client this result was shaped for fits `budget` bytes and carries no base64. */
function checkViews(r: CallResult, what: string, budget: number): void {
  const views = allViews({ content: r.content, structuredContent: r.structured, isError: r.isError });
  for (const [c, view] of Object.entries(views)) {
    const bytes = Buffer.byteLength(view.text, 'utf8');
    assert.ok(bytes <= budget, `${what}: ${c}'s model reads ${bytes} bytes (budget ${budget})`);
    assert.equal(findBase64(view.text), undefined, `${what}: base64 in ${c}'s view`);
  }
}

describe('kernel inspection on a real Jupyter server', () => {
  const rj = useRealJupyter({ server: { maxResultChars: 8000 } });
  let kernelId: string;
  let before: { count: number; inLen: number; underscore: string; names: string[] };
  let bytes: Buffer;

  test('a cell defines a 1,000,000-row DataFrame and an array; the baseline is read from the kernel', async () => {
    writeNotebook(rj.ws.root, NB, [DEFINE]);
    const ran = await ok(rj.client, 'execute_notebook_cell', { path: NB, cell_index: 0, timeout: 120 });
    assert.equal(ran.status, 'ok', JSON.stringify(ran.outputs));
    kernelId = ran.kernel_id;
    bytes = readFileSync(path.join(rj.ws.root, NB));
    const base = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'print(len(In), repr(_), sorted(dir()), sep="\\n")' });
    const [inLen, underscore, names] = printed(base).trimEnd().split('\n');
    before = { count: base.execution_count, inLen: Number(inLen), underscore, names: eval(names) };
    assert.equal(before.underscore, '(3, 4)');
  });

  test('list_variables lists them, largest first, with shapes; modules are hidden', async () => {
    const r = await call(rj.client, 'list_variables', { path: NB });
    assert.equal(r.isError, false, r.text);
    checkViews(r, 'list_variables', 8000);
    const vars = r.structured.variables;
    assert.equal(vars[0].name, 'df');
    assert.equal(vars[0].type, 'pandas.DataFrame');
    assert.deepEqual(vars[0].shape, [1_000_000, 3]);
    assert.ok(vars[0].bytes > 8_000_000, `df bytes ${vars[0].bytes}`);
    assert.match(vars[0].value, /id: int64, price: float64, city: category/);
    const arr = vars.find((v: any) => v.name === 'arr');
    assert.deepEqual(arr.shape, [3, 4]);
    assert.equal(arr.type, 'numpy.ndarray');
    assert.ok(!vars.some((v: any) => v.name === 'np' || v.name === 'pd' || v.name.startsWith('_')), 'modules and _names hidden');
    assert.ok(r.structured.hidden >= 3, `hidden ${r.structured.hidden}`);
    assert.equal(r.structured.kernel_id, kernelId, 'path resolves to the notebook\'s running kernel');
    assert.match(r.text, /include_hidden: true shows them/);
    // Filters: by type, by name, and the hidden ones on request.
    assert.deepEqual((await ok(rj.client, 'list_variables', { kernel_id: kernelId, type: 'DataFrame' })).variables.map((v: any) => v.name), ['df']);
    assert.deepEqual((await ok(rj.client, 'list_variables', { kernel_id: kernelId, name: 'arr*' })).variables.map((v: any) => v.name), ['arr']);
    const all = await ok(rj.client, 'list_variables', { kernel_id: kernelId, include_hidden: true });
    assert.ok(all.variables.some((v: any) => v.name === 'np' && v.type === 'module'));
  });

  test('inspect_variable gives a DataFrame\'s columns, dtypes, nulls, head and tail; describe on request', async () => {
    const r = await call(rj.client, 'inspect_variable', { path: NB, name: 'df' });
    assert.equal(r.isError, false, r.text);
    checkViews(r, 'inspect_variable df', 8000);
    const s = r.structured;
    assert.equal(s.kind, 'dataframe');
    assert.deepEqual(s.shape, [1_000_000, 3]);
    assert.deepEqual(s.columns, [
      { name: 'id', dtype: 'int64', nulls: 0 },
      { name: 'price', dtype: 'float64', nulls: 1 },
      { name: 'city', dtype: 'category', nulls: 0 },
    ]);
    assert.match(s.head, /^\s+id\s+price\s+city\n0\s+0\s+0\.0+\s+Paris\n1\s+1/);
    assert.match(s.tail, /999999\s+999999\s+1\.0+\s+Lyon/);
    assert.match(s.index, /RangeIndex\(0\.\.999999/);
    const d = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'df', describe: true, rows: 3 });
    assert.match(d.describe, /mean/);
    assert.match(d.describe, /std/);
    assert.equal(d.head.split('\n').length, 4, 'a header line and 3 rows');
  });

  test('inspect_variable on an array, a dict, a function, an attribute path', async () => {
    const a = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'arr' });
    assert.deepEqual([a.kind, a.dtype, a.shape], ['ndarray', 'float64', [3, 4]]);
    assert.deepEqual(a.stats, { min: 0, max: 11, mean: 5.5, nan: 0 });
    assert.match(a.corner, /\[\[ 0\.\s+1\.\s+2\.\s+3\.\]/);
    const d = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'settings' });
    assert.equal(d.len, 2);
    assert.deepEqual(d.items[0], { key: "'alpha'", type: 'float', value: '0.5' });
    const f = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'np.linspace' });
    assert.equal(f.kind, 'function');
    assert.match(f.signature, /^linspace\(start, stop, num=50/);
    // A C-level attribute is read; a property (code) is refused, never run.
    assert.deepEqual((await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'arr.shape' })).items, ['3', '4']);
    const prop = await call(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'df.T' });
    assert.equal(prop.isError, true);
    assert.match(prop.text, /df\.T is computed by code .*does not run it.*execute_cell/);
  });

  test('inspect_variable shows a matplotlib figure and a PIL image as image blocks', async () => {
    const made = await ok(rj.client, 'execute_cell', {
      kernel_id: kernelId,
      code: 'import matplotlib.pyplot as plt\nfrom PIL import Image\nfig, ax = plt.subplots()\nax.plot([1, 3, 2])\nax.set_title("prices")\nim = Image.new("RGB", (2000, 1000), "red")',
    });
    before.count += 1;
    before.inLen += 1;
    before.names = [...before.names, 'Image', 'ax', 'fig', 'im', 'plt', `_i${made.execution_count}`].sort();
    // The figure at its own size (≤ 100 dpi); the 2000×1000 image as a 1024-pixel-wide thumbnail.
    for (const [name, kind, width] of [['fig', 'figure', undefined], ['im', 'image', 1024]] as const) {
      const r = await call(rj.client, 'inspect_variable', { kernel_id: kernelId, name });
      assert.equal(r.isError, false, r.text);
      checkViews(r, `inspect_variable ${name}`, 8000);
      assert.equal(r.structured.kind, kind);
      const img = r.content.find((c: any) => c.type === 'image');
      assert.ok(img, `${name}: no image block`);
      assert.equal(img.mimeType, 'image/png');
      // PNG width: bytes 16..19 of the IHDR chunk.
      const w = Buffer.from(img.data, 'base64').readUInt32BE(16);
      if (width) assert.equal(w, width, `${name}: image width`);
      else assert.ok(w >= 200 && w <= 1024, `${name}: image width ${w}`);
      assert.match(r.structured.image, /image\/png image, .*returned as image content #1/);
    }
    assert.deepEqual((await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'fig' })).axes, [{ title: 'prices', xlabel: '', ylabel: '' }]);
  });

  test('bad names: an expression is refused, an unknown name says so and suggests', async () => {
    for (const name of ['df.head()', 'df["id"]', 'x; import os', '__import__("os").system("true")', 'a + b']) {
      const r = await call(rj.client, 'inspect_variable', { kernel_id: kernelId, name });
      assert.equal(r.isError, true, name);
      assert.match(r.text, /is not a variable name.*execute_cell/, name);
    }
    const r = await call(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'dff' });
    assert.equal(r.isError, true);
    assert.match(r.text, /No variable "dff" in the kernel\. Did you mean df\?.*list_variables/);
  });

  test('inspect_code gives numpy.linspace\'s signature and completions, running no code', async () => {
    const r = await call(rj.client, 'inspect_code', { kernel_id: kernelId, code: 'numpy.linspace' });
    assert.equal(r.isError, false, r.text);
    checkViews(r, 'inspect_code', 8000);
    assert.equal(r.structured.found, true);
    assert.match(r.structured.documentation, /Signature:\s*numpy\.linspace\(\s*start,\s*stop,\s*num=50/);
    assert.doesNotMatch(r.structured.documentation, /\u001b\[/, 'no ANSI codes');
    const c = await ok(rj.client, 'inspect_code', { kernel_id: kernelId, code: 'numpy.linsp' });
    // A completion replaces cursor_start..cursor_end ("linspace" from 6, or "numpy.linspace" from 0).
    assert.equal(c.cursor_end, 11);
    assert.ok(c.completions.map((m: string) => 'numpy.linsp'.slice(0, c.cursor_start) + m).includes('numpy.linspace'), JSON.stringify(c));
    const none = await ok(rj.client, 'inspect_code', { kernel_id: kernelId, code: 'no_such_name_at_all' });
    assert.equal(none.found, false);
    assert.match(none.note, /knows nothing at position 19/);
  });

  test('objects whose repr raises or hangs: clear answers within the time limit, the kernel unharmed', async () => {
    const defined = await ok(rj.client, 'execute_cell', {
      kernel_id: kernelId,
      code:
        'class Bad:\n    def __repr__(self): raise ValueError("no repr")\nclass Hang:\n    def __repr__(self):\n        while True: pass\n' +
        'bad, hang = Bad(), Hang()',
    });
    // This cell's own trace, for the no-trace check below: its count, its In entry, its names.
    before.count += 1;
    before.inLen += 1;
    before.names = [...before.names, 'Bad', 'Hang', 'bad', 'hang', `_i${defined.execution_count}`].sort();
    const b = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'bad' });
    assert.match(b.repr, /repr raised ValueError: no repr/);
    const started = Date.now();
    const h = await ok(rj.client, 'inspect_variable', { kernel_id: kernelId, name: 'hang' });
    assert.match(h.repr, /not computed: took longer than 2 s/);
    assert.ok(Date.now() - started < 15_000, 'the time limit bounded the hanging repr');
    const listed = await ok(rj.client, 'list_variables', { kernel_id: kernelId, type: 'Hang' });
    assert.equal(listed.variables[0].name, 'hang');
  });

  test('no trace: the next execute_cell count, len(In), _, the names and the notebook bytes are as before', async () => {
    const after = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'print(len(In), repr(_), sorted(dir()), sep="\\n")' });
    assert.equal(after.execution_count, before.count + 1, 'the inspections took no execution count');
    const [inLen, underscore, names] = printed(after).trimEnd().split('\n');
    assert.equal(Number(inLen), before.inLen + 1, 'the inspections added nothing to In');
    assert.equal(underscore, before.underscore, '_ is unchanged');
    const added = (eval(names) as string[]).filter((n) => !before.names.includes(n));
    const removed = before.names.filter((n) => !(eval(names) as string[]).includes(n));
    // Each cell adds its own _iN input variable; nothing else may appear or go.
    assert.deepEqual(added, [`_i${after.execution_count}`], 'no new name in the namespace');
    assert.deepEqual(removed, []);
    assert.ok(readFileSync(path.join(rj.ws.root, NB)).equals(bytes), 'the notebook file is unchanged');
  });

  test('a kernel busy with a run answers "busy" within 2 s, naming the run; nothing queues behind it', async () => {
    const run = await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'import time\ntime.sleep(60)', wait_seconds: 0, timeout: 120 });
    assert.equal(run.status, 'running');
    for (const [tool, args] of [
      ['list_variables', { kernel_id: kernelId }],
      ['inspect_variable', { path: NB, name: 'df' }],
      ['inspect_code', { kernel_id: kernelId, code: 'numpy.linspace' }],
    ] as const) {
      const started = Date.now();
      const r = await call(rj.client, tool, args);
      assert.ok(Date.now() - started < 2000, `${tool} answered in ${Date.now() - started} ms`);
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, new RegExp(`busy with run ${run.run_id} \\(execute_cell, \\d+ s so far\\).*nothing ran.*wait_for_run \\{"run_id":"${run.run_id}"\\}`));
    }
    await ok(rj.client, 'cancel_run', { run_id: run.run_id });
  });

  test('a kernel busy with another client\'s cell (not a run of this server) answers "busy" within 2 s', async () => {
    const other = new JupyterServerBackend({ url: rj.jupyter.url, token: rj.jupyter.token });
    try {
      let printedLine!: () => void;
      const sleeping = new Promise<void>((r) => (printedLine = r));
      const theirs = other.execute(kernelId, 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)', { timeoutMs: 120_000, onOutput: () => printedLine() });
      await sleeping;
      const started = Date.now();
      const r = await call(rj.client, 'list_variables', { kernel_id: kernelId });
      assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /Kernel \S+ is busy \(running code\).*nothing ran and nothing changed.*interrupt_kernel/);
      await other.interruptKernel(kernelId);
      assert.notEqual((await theirs).status, 'ok');
    } finally {
      await other.dispose();
    }
  });

  test('paging: a namespace of 300 variables comes in pages within the budget, each name once', async () => {
    await ok(rj.client, 'execute_cell', { kernel_id: kernelId, code: 'for i in range(300):\n    globals()[f"v{i:03d}"] = list(range(i))' });
    const seen: string[] = [];
    let args: Record<string, unknown> = { kernel_id: kernelId, name: 'v*' };
    for (let page = 0; page < 20; page++) {
      const r = await call(rj.client, 'list_variables', args);
      assert.equal(r.isError, false, r.text);
      checkViews(r, `list_variables page ${page}`, 8000);
      seen.push(...r.structured.variables.map((v: any) => v.name));
      if (!r.structured.next) break;
      assert.ok(r.text.includes(r.structured.next), 'the text names the next call too');
      args = JSON.parse(r.structured.next.replace(/^list_variables /, ''));
    }
    assert.equal(seen.length, 300);
    assert.equal(new Set(seen).size, 300);
    assert.equal(seen[0], 'v299', 'largest first');
  });

  test('a stopped kernel and a notebook without a kernel get clear answers', async () => {
    const k = await ok(rj.client, 'start_kernel', { kernel_name: 'python3' });
    await ok(rj.client, 'stop_kernel', { kernel_id: k.kernel_id });
    const r = await call(rj.client, 'list_variables', { kernel_id: k.kernel_id });
    assert.equal(r.isError, true);
    assert.match(r.text, /Kernel not found: .*list_kernels/);
    writeNotebook(rj.ws.root, 'idle.ipynb', ['x = 1']);
    const none = await call(rj.client, 'list_variables', { path: 'idle.ipynb' });
    assert.equal(none.isError, true);
    assert.match(none.text, /No kernel is running for idle\.ipynb.*execute_notebook_cell/);
    assert.equal((await call(rj.client, 'list_variables', {})).isError, true);
  });

  test('an R kernel (IRkernel): no variables ("not available for R kernels"), but inspect_code answers', async () => {
    const k = await ok(rj.client, 'start_kernel', { kernel_name: 'ir' });
    await ok(rj.client, 'execute_cell', { kernel_id: k.kernel_id, code: 'prices <- c(1.5, 2.5)' });
    for (const tool of ['list_variables', 'inspect_variable']) {
      const r = await call(rj.client, tool, { kernel_id: k.kernel_id, name: 'prices' });
      assert.equal(r.isError, true);
      assert.match(r.text, new RegExp(`${tool} is not available for R kernels.*inspect_code`));
    }
    const c = await ok(rj.client, 'inspect_code', { kernel_id: k.kernel_id, code: 'prices' });
    assert.equal(c.found, true, JSON.stringify(c));
    assert.match(c.documentation, /1\.5/);
    const m = await ok(rj.client, 'inspect_code', { kernel_id: k.kernel_id, code: 'pric' });
    assert.ok(m.completions.includes('prices'), JSON.stringify(m.completions));
    await ok(rj.client, 'stop_kernel', { kernel_id: k.kernel_id });
  });
});

describe('kernel inspection results fit smaller budgets', () => {
  const rj = useRealJupyter({ server: { maxResultChars: 4000 } });

  test('at a 4,000-character budget every view fits, cut fields say so; the default budget gives 8,000 bytes at most', async () => {
    const k = await ok(rj.client, 'start_kernel', { kernel_name: 'python3' });
    await ok(rj.client, 'execute_cell', {
      kernel_id: k.kernel_id,
      code: 'import pandas as pd, numpy as np\nwide = pd.DataFrame(np.random.rand(1000, 60), columns=[f"column_with_a_long_name_{i}" for i in range(60)])\ntext = "é" * 50_000\nfor i in range(100): globals()[f"w{i}"] = "ü" * 300',
      timeout: 60,
    });
    for (const [tool, args] of [
      ['list_variables', {}],
      ['inspect_variable', { name: 'wide', describe: true, rows: 50 }],
      ['inspect_variable', { name: 'text' }],
      ['inspect_code', { code: 'pd.DataFrame' }],
    ] as const) {
      const r = await call(rj.client, tool, { kernel_id: k.kernel_id, ...args });
      assert.equal(r.isError, false, r.text);
      checkViews(r, `${tool} ${JSON.stringify(args)}`, 4000);
      if (tool === 'inspect_variable') assert.match(r.structured.note, /Cut to fit the result size: .*execute_cell/);
    }
    // At the default budget (40,000 characters) the answers still fit Copilot's 8,192 bytes.
    const wide = await startServer({ root: rj.ws.root, kernels: rj.backend });
    const client = await connectClient(wide.url);
    try {
      for (const [tool, args] of [['list_variables', {}], ['inspect_variable', { name: 'wide', describe: true, rows: 50 }]] as const) {
        const r = await call(client, tool, { kernel_id: k.kernel_id, ...args });
        assert.equal(r.isError, false, r.text);
        checkViews(r, `default budget: ${tool}`, 8000);
      }
    } finally {
      await client.close();
      await wide.close();
    }
    await ok(rj.client, 'stop_kernel', { kernel_id: k.kernel_id });
  });
});

describe('a repr that defeats the time limit', () => {
  // The server's execution time-out (8 s here) bounds a look too.
  const rj = useRealJupyter({ server: { timeoutMs: 8000 } });

  test('is interrupted after the time-out, and the answer says so; the kernel keeps its variables', async () => {
    const k = await ok(rj.client, 'start_kernel', { kernel_name: 'python3' });
    await ok(rj.client, 'execute_cell', {
      kernel_id: k.kernel_id,
      // Swallows the helper's alarm (anything but KeyboardInterrupt), as a badly written repr could.
      code:
        'import time\nclass Stubborn:\n    def __repr__(self):\n        while True:\n            try:\n                time.sleep(0.05)\n' +
        '            except BaseException as e:\n                if isinstance(e, KeyboardInterrupt): raise\nstubborn = Stubborn()\nkept = 41',
    });
    const started = Date.now();
    const r = await call(rj.client, 'inspect_variable', { kernel_id: k.kernel_id, name: 'stubborn' });
    assert.equal(r.isError, true, r.text);
    assert.match(r.text, /took longer than 8 s: the kernel was interrupted \(KeyboardInterrupt inside the inspection only; its variables are kept\)\. An object whose repr/);
    assert.ok(Date.now() - started < 20_000, `answered after ${Date.now() - started} ms`);
    const after = await ok(rj.client, 'execute_cell', { kernel_id: k.kernel_id, code: 'kept + 1' });
    assert.equal(after.outputs[0].data['text/plain'], '42');
    await ok(rj.client, 'stop_kernel', { kernel_id: k.kernel_id });
  });
});

describe('kernel inspection without a Jupyter server', () => {
  test('offline: the tools say kernels are unavailable and how to get one', async () => {
    const server = await startServer({ root: process.cwd(), jupyter: { offline: true } });
    const client = await connectClient(server.url);
    try {
      for (const [tool, args] of [['list_variables', {}], ['inspect_variable', { name: 'df' }], ['inspect_code', { code: 'len' }]] as const) {
        const r = await call(client, tool, { kernel_id: 'some-kernel', ...args });
        assert.equal(r.isError, true);
        assert.match(r.text, /offline mode.*--url URL --token TOKEN/, tool);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
});
