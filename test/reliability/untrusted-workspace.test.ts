// Issue #11 item 13: in an untrusted VS Code workspace every tool that runs code OR manages a
// kernel refuses, and the refusal changes nothing. The extension's check (vscode.workspace.isTrusted)
// reaches the server as `mayRunCode`; here it is a switch so one real kernel on a real Jupyter
// server can be used trusted, then untrusted, then trusted again, to prove that nothing happened
// to it in between (a restart would have wiped `x`, a stop would have removed it).
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { useRealJupyter } from '../helpers/realJupyter';

const REASON = 'This VS Code workspace is not trusted, so Jupyter MCP will not run code or manage kernels in it.';

async function call(c: Client, name: string, args: Record<string, unknown> = {}) {
  const r = (await c.callTool({ name, arguments: args })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: any };
  return { isError: r.isError === true, text: r.content.map((x) => x.text ?? '').join('\n'), structured: r.structuredContent };
}

describe('untrusted VS Code workspace: kernel tools refuse and change nothing', () => {
  let trusted = true;
  const rj = useRealJupyter({ fixtures: ['analysis.ipynb'], server: { mayRunCode: () => (trusted ? undefined : REASON) } });

  test('start, stop, restart and interrupt refuse like the code-running tools; the kernel keeps its state', async () => {
    trusted = true;
    const started = await call(rj.client, 'start_kernel', { kernel_name: 'python3' });
    assert.equal(started.isError, false, started.text);
    const id = started.structured.kernel_id as string;
    assert.equal((await call(rj.client, 'execute_cell', { kernel_id: id, code: 'x = 41' })).isError, false);

    trusted = false;
    for (const [name, args] of [
      ['start_kernel', { kernel_name: 'python3' }],
      ['restart_kernel', { kernel_id: id }],
      ['interrupt_kernel', { kernel_id: id }],
      ['stop_kernel', { kernel_id: id }],
      ['execute_cell', { kernel_id: id, code: 'x = 0' }],
      ['execute_notebook_cell', { path: 'analysis.ipynb', cell_index: 1, kernel_id: id }],
      ['execute_notebook', { path: 'analysis.ipynb', kernel_id: id }],
      // The inspection tools make the kernel run the objects' own reprs and properties' lookups.
      ['list_variables', { kernel_id: id }],
      ['inspect_variable', { kernel_id: id, name: 'x' }],
      ['inspect_code', { kernel_id: id, code: 'x' }],
    ] as const) {
      const r = await call(rj.client, name, args);
      assert.equal(r.isError, true, `${name} was not refused: ${r.text}`);
      assert.equal(r.text, REASON, name);
    }
    // Reading still works, and the Jupyter rj.server still has exactly the one kernel.
    const listed = await call(rj.client, 'list_kernels');
    assert.equal(listed.isError, false, listed.text);
    assert.deepEqual(
      listed.structured.active_kernels.filter((k: any) => k.backend !== 'editor').map((k: any) => k.id),
      [id],
    );
    assert.equal((await call(rj.client, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' })).isError, false);

    // Trusted again: the kernel was neither restarted nor stopped (x is still 41).
    trusted = true;
    const r = await call(rj.client, 'execute_cell', { kernel_id: id, code: 'x + 1' });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured.outputs[0].data['text/plain'], '42');
    assert.equal((await call(rj.client, 'stop_kernel', { kernel_id: id })).isError, false);
  });
});
