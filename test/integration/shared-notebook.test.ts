// One notebook, a person and an agent, through the standalone server (file store) over real HTTP:
// a cell edit is refused when the person changed that cell after the agent read it (the person is
// another program writing the file: Jupyter's own nbformat, as JupyterLab would save it), an edit
// by index is refused when the index now holds another cell, and an agent's changes are listed and
// taken back cell by cell, keeping what the person did. A closed notebook only agents changed comes
// back byte for byte.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, FIXTURES, ok, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { allViews, type ResultLike } from '../helpers/clientViews';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** An MCP client that introduces itself as `name` (the agent's name in markers and lists). */
async function agent(url: string, name: string, version = '1.0.0'): Promise<Client> {
  const client = new Client({ name, version });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/**
 * The person, in another program: Jupyter's nbformat reads the file, applies `change` (Python,
 * on `nb`), and writes it back as JupyterLab saves it.
 */
function personEdits(file: string, change: string): void {
  execFileSync('/usr/bin/python3', ['-c', `import nbformat,sys\nnb = nbformat.read(sys.argv[1], 4)\n${change}\nnbformat.write(nb, sys.argv[1])`, file]);
}

/** Python that changes the source of the cell with this id, as the person typing in it. */
const typeIn = (id: string, source: string) => `next(c for c in nb.cells if c.id == ${JSON.stringify(id)}).source = ${JSON.stringify(source)}`;

function cells(file: string): { id: string; source: string; cell_type: string }[] {
  return JSON.parse(readFileSync(file, 'utf8')).cells.map((c: { id: string; source: string[] | string; cell_type: string }) => ({ id: c.id, cell_type: c.cell_type, source: Array.isArray(c.source) ? c.source.join('') : c.source }));
}

describe('a notebook shared by a person and agents (standalone server, file store)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let server: TestServer;
  let roo: Client;
  let claude: Client;
  let n = 0;
  const fresh = () => {
    const name = `shared-${++n}.ipynb`;
    copyFileSync(path.join(FIXTURES, 'analysis.ipynb'), path.join(ws.root, name));
    return { name, file: path.join(ws.root, name) };
  };

  before(async () => {
    ws = tempWorkspace();
    server = await startServer({ root: ws.root });
    roo = await agent(server.url, 'Roo Code');
    // Claude Code as it names itself (a version that gets structuredContent: Cline gets text only).
    claude = await agent(server.url, 'claude-code', '2.1.332');
  });
  after(async () => {
    await roo.close();
    await claude.close();
    await server.close();
    ws.cleanup();
  });

  test('update_cell of a cell the person changed after the agent read it is refused with the cell as it is now; the typing is intact', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    personEdits(file, `nb.cells[2].source = "sales = [1, 2, 3]  # the person's own numbers"`);
    const r = await call(roo, 'update_cell', { path: name, cell_id: 'cb7e3919', source: 'sales = None' });
    assert.equal(r.isError, true);
    assert.match(r.text, /Cell cb7e3919 \(index 2\) of shared-\d+\.ipynb changed since this session last read it/);
    assert.match(r.text, /sales = \[1, 2, 3\]  # the person's own numbers/, 'the refusal carries the current source');
    assert.match(r.text, /overwrite: true/);
    assert.equal(cells(file)[2].source, "sales = [1, 2, 3]  # the person's own numbers", 'the typing is intact');
    // The refusal showed the cell: an edit redone on that text goes through.
    const redo = await ok(roo, 'update_cell', { path: name, cell_id: 'cb7e3919', source: "sales = [1, 2, 3]  # the person's own numbers\nsales.append(4)" });
    assert.equal(redo.success, true);
    assert.equal(redo.notice, undefined);
  });

  test('edit_cell_source, remove_cell and move_cell are refused the same way; overwrite: true insists', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name, format: 'outline' });
    let k = 0;
    for (const [tool, args] of [
      ['edit_cell_source', { old_string: 'return a / b', new_string: 'return a // b' }],
      ['remove_cell', {}],
      ['move_cell', { to_index: 0 }],
    ] as const) {
      // Each refusal shows the cell as it is (the session has then seen it): the person types again.
      personEdits(file, typeIn('ce7596f2', `def ratio(a, b):\n    return a / b if b else ${++k}`));
      const r = await call(roo, tool, { path: name, cell_id: 'ce7596f2', ...args });
      assert.equal(r.isError, true, tool);
      assert.match(r.text, /changed since this session last read it/, tool);
      assert.match(r.text, new RegExp(`return a / b if b else ${k}`), tool);
    }
    assert.equal(cells(file).length, 10);
    personEdits(file, typeIn('ce7596f2', 'def ratio(a, b):\n    return 42'));
    const forced = await ok(roo, 'update_cell', { path: name, cell_id: 'ce7596f2', source: 'ratio = None', overwrite: true });
    assert.equal(forced.success, true);
    assert.equal(cells(file)[6].source, 'ratio = None');
  });

  test('an index that now holds another cell is refused, naming that cell and its id', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    // The person inserts a cell above: what the agent saw at index 3 is now at 4.
    personEdits(file, `nb.cells.insert(1, nbformat.v4.new_markdown_cell("A note the person added", id="personnote"))`);
    for (const tool of ['update_cell', 'edit_cell_source', 'remove_cell', 'move_cell'] as const) {
      const args = tool === 'edit_cell_source' ? { old_string: 'import sys', new_string: 'import os' } : tool === 'move_cell' ? { to_index: 0 } : tool === 'update_cell' ? { source: 'x = 1' } : {};
      const r = await call(roo, tool, { path: name, index: 3, ...args });
      assert.equal(r.isError, true, tool);
      assert.match(r.text, /Index 3 of shared-\d+\.ipynb now holds another cell than the one this session saw there/, tool);
      assert.match(r.text, /Index 3 is now cell cb7e3919/, tool);
      assert.match(r.text, /you saw cell c4f2b2b7 there, now at index 4/, tool);
    }
    const now = cells(file);
    assert.equal(now.length, 11);
    assert.equal(now[1].source, 'A note the person added');
    assert.match(now[4].source, /^import sys/);
    // By id it goes through (the cell itself did not change).
    assert.equal((await ok(roo, 'update_cell', { path: name, cell_id: 'c4f2b2b7', source: 'import os' })).cell_index, 4);
  });

  test('after its own insert, the cells it had read are still checked at their new indexes (and no others)', async () => {
    const { name } = fresh();
    await ok(roo, 'read_notebook', { path: name, format: 'outline', start_index: 0, limit: 3 });
    await ok(roo, 'add_cell', { path: name, cell_type: 'code', source: 'x = 0', index: 0 });
    // It read cells 0-2; they are now at 1-3: index 3 is checked, index 4 (never read) is blind.
    const checked = await ok(roo, 'update_cell', { path: name, index: 3, source: 'y = 3' });
    assert.equal(checked.notice, undefined, JSON.stringify(checked));
    const blind = await ok(roo, 'update_cell', { path: name, index: 4, source: 'y = 4' });
    assert.match(String(blind.notice), /Edited blind/);
  });

  test("the session's own edits move its view along: indexes after its own insert still check out", async () => {
    const { name } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    await ok(roo, 'add_cell', { path: name, cell_type: 'code', source: 'x = 0', index: 1 });
    // What it saw at 2 (cb7e3919) is now at 3, and it knows.
    const r = await ok(roo, 'update_cell', { path: name, index: 3, source: 'sales = []' });
    assert.equal(r.cell_id, 'cb7e3919');
    const moved = await ok(roo, 'move_cell', { path: name, index: 3, to_index: 0 });
    assert.equal(moved.cell_id, 'cb7e3919');
    assert.equal((await ok(roo, 'update_cell', { path: name, index: 0, source: 'sales = [0]' })).cell_id, 'cb7e3919');
  });

  test('a session that never read the notebook is not blocked, and is told it edited blind', async () => {
    const { name, file } = fresh();
    personEdits(file, `nb.cells[9].source = "print('person')"`);
    const r = await ok(claude, 'update_cell', { path: name, cell_id: '41821848', source: "print('agent')" });
    assert.equal(r.success, true);
    assert.match(r.notice, /^Edited blind: this session had not read cell 41821848/);
  });

  test('write_notebook after the person changed cells names those cells; nothing is written', async () => {
    const { name, file } = fresh();
    const read = await ok(roo, 'read_notebook', { path: name, format: 'raw' });
    personEdits(file, `nb.cells[0].source = "# The person's title"`);
    const before = sha(file);
    const r = await call(roo, 'write_notebook', { path: name, content: { ...read.notebook, cells: read.notebook.cells.slice(0, 3) } });
    assert.equal(r.isError, true);
    assert.match(r.text, /^shared-\d+\.ipynb changed on disk since it was read; nothing was written\. .* Cells changed since this session read them: a95a0aac \(index 0\): "# The person's title"\.$/);
    assert.equal(sha(file), before);
  });

  test('revert takes back the agent\'s changes and keeps the person\'s; a cell both changed is left and listed', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    const added = await ok(roo, 'add_cell', { path: name, cell_type: 'markdown', source: '## Agent notes', index: 1 });
    await ok(roo, 'update_cell', { path: name, cell_id: 'cb7e3919', source: 'sales = agent_sales()' });
    await ok(roo, 'update_cell', { path: name, cell_id: 'ce7596f2', source: 'ratio = agent_ratio' });
    await ok(roo, 'remove_cell', { path: name, cell_id: 'a77c64fc' });
    await ok(roo, 'move_cell', { path: name, cell_id: '3e66c0e3', to_index: 0 });
    await ok(roo, 'clear_outputs', { path: name, cell_id: '47d71fb2' });
    // Meanwhile the person types in a cell the agent did not touch, and in one the agent changed.
    personEdits(file, `${typeIn('7c498ad4', 'import numpy as np  # person')}\n${typeIn('ce7596f2', 'ratio = agent_ratio  # checked by the person')}`);
    const listed = await ok(roo, 'agent_changes', { path: name });
    assert.match(listed.message, /^6 cells changed by agents in shared-\d+\.ipynb since .* not yet accepted: Roo Code \(you\) 6\./);
    const byId = Object.fromEntries(listed.changes.map((c: any) => [c.cell_id, c]));
    assert.equal(byId[added.cell_id].change, 'added');
    assert.equal(byId.cb7e3919.change, 'edited');
    assert.equal(byId.ce7596f2.changed_since, true);
    assert.equal(byId.a77c64fc.change, 'removed');
    assert.equal(byId['3e66c0e3'].change, 'moved');
    assert.equal(byId['47d71fb2'].change, 'edited');
    assert.ok(JSON.stringify(listed).length < 8000);

    const r = await ok(roo, 'agent_changes', { path: name, action: 'revert' });
    assert.deepEqual(r.reverted.sort(), [added.cell_id, 'cb7e3919', 'a77c64fc', '3e66c0e3', '47d71fb2'].sort());
    assert.deepEqual(r.left, [{ cell_id: 'ce7596f2', agent: 'Roo Code', why: 'changed after the agent: kept as it is now' }]);
    const original = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8'));
    const now = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(now.cells.map((c: any) => c.id), original.cells.map((c: any) => c.id), 'cells back in their places');
    assert.equal(now.cells[1].source.join(''), 'import numpy as np  # person', "the person's typing is kept");
    assert.equal(now.cells[6].source.join(''), 'ratio = agent_ratio  # checked by the person', 'the cell both changed is left as the person has it');
    assert.deepEqual(now.cells[2], original.cells[2], 'changed cell back');
    assert.deepEqual(now.cells[4], original.cells[4], 'its outputs are back');
    assert.deepEqual(now.cells[8], original.cells[8], 'removed cell back');
    // Nothing left to take back.
    const again = await ok(roo, 'agent_changes', { path: name, action: 'revert' });
    assert.match(again.message, /^Nothing to revert of Roo Code in shared-\d+\.ipynb/);
    assert.deepEqual(again.reverted, []);
  });

  test('a closed notebook only the agent changed is reverted to bytes identical to before', async () => {
    const { name, file } = fresh();
    const original = sha(file);
    await ok(roo, 'read_notebook', { path: name });
    await ok(roo, 'add_cell', { path: name, cell_type: 'code', source: 'print(1)' });
    await ok(roo, 'update_cell', { path: name, index: 2, source: 'sales = 0' });
    await ok(roo, 'remove_cell', { path: name, index: 0 });
    await ok(roo, 'write_notebook', { path: name, content: (await ok(roo, 'read_notebook', { path: name, format: 'raw' })).notebook });
    assert.notEqual(sha(file), original);
    const r = await ok(roo, 'agent_changes', { path: name, action: 'revert' });
    assert.match(r.message, /the file is back to its exact bytes before the agent/);
    assert.equal(sha(file), original);
  });

  test('two agents on one notebook: each reverts its own; the other\'s changes stay and are listed', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    await ok(claude, 'read_notebook', { path: name });
    await ok(roo, 'update_cell', { path: name, cell_id: 'cb7e3919', source: 'by_roo = 1' });
    await ok(claude, 'update_cell', { path: name, cell_id: 'ce7596f2', source: 'by_claude = 1' });
    // Claude's view of cb7e3919 is stale: refused, Roo's work is safe.
    const stale = await call(claude, 'update_cell', { path: name, cell_id: 'cb7e3919', source: 'by_claude = 2' });
    assert.equal(stale.isError, true);
    assert.match(stale.text, /by_roo = 1/);
    const listed = await ok(claude, 'agent_changes', { path: name });
    assert.match(listed.message, /Roo Code 1, Claude Code \(you\) 1/);
    const r = await ok(claude, 'agent_changes', { path: name, action: 'revert' });
    assert.deepEqual(r.reverted, ['ce7596f2']);
    const now = cells(file);
    assert.equal(now[2].source, 'by_roo = 1');
    assert.match(now[6].source, /^def ratio/);
    assert.equal((await ok(roo, 'agent_changes', { path: name })).changes.length, 1);
  });

  test('revert by cell_ids takes back only those cells', async () => {
    const { name, file } = fresh();
    await ok(roo, 'read_notebook', { path: name });
    await ok(roo, 'update_cell', { path: name, cell_id: 'cb7e3919', source: 'a = 1' });
    await ok(roo, 'update_cell', { path: name, cell_id: 'ce7596f2', source: 'b = 1' });
    const r = await ok(roo, 'agent_changes', { path: name, action: 'revert', cell_ids: ['ce7596f2'] });
    assert.deepEqual(r.reverted, ['ce7596f2']);
    assert.equal(cells(file)[2].source, 'a = 1');
    assert.match(cells(file)[6].source, /^def ratio/);
  });
});

describe('agent changes when things go wrong (standalone server)', () => {
  test('a notebook renamed or deleted since the agent changed it: revert says so and where its checkpoint is; nothing is written', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const server = await startServer({ root: ws.root });
    const client = await agent(server.url, 'Roo Code');
    try {
      await ok(client, 'read_notebook', { path: 'analysis.ipynb' });
      await ok(client, 'update_cell', { path: 'analysis.ipynb', cell_id: 'cb7e3919', source: 'sales = []' });
      await server.agents.flush();
      renameSync(path.join(ws.root, 'analysis.ipynb'), path.join(ws.root, 'renamed.ipynb'));
      const r = await call(client, 'agent_changes', { path: 'analysis.ipynb', action: 'revert' });
      assert.equal(r.isError, true);
      assert.match(r.text, /analysis\.ipynb no longer exists \(deleted or renamed since an agent changed it\); nothing was reverted\. Its checkpoint from before the agent's changes is kept at (\S+\.ipynb): copy it to restore the notebook/);
      const kept = /kept at (\S+\.ipynb):/.exec(r.text)![1];
      assert.ok(!kept.startsWith(ws.root), 'the checkpoint is outside the workspace');
      assert.match(readFileSync(kept, 'utf8'), /sales = rng\.normal/);
      assert.deepEqual(readdirSync(ws.root), ['renamed.ipynb'], 'nothing written in the workspace');
      assert.match(readFileSync(path.join(ws.root, 'renamed.ipynb'), 'utf8'), /sales = \[\]/);
    } finally {
      await client.close();
      await server.close();
      ws.cleanup();
    }
  });

  test('an unwritable checkpoint folder: edits go on, the list says the checkpoint is not saved, the revert still works', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const blocker = path.join(ws.root, '..', `${path.basename(ws.root)}-blocker`);
    writeFileSync(blocker, 'a file where the checkpoint folder should be');
    const server = await startServer({ root: ws.root, checkpointDir: path.join(blocker, 'checkpoints') });
    const client = await agent(server.url, 'Roo Code');
    const file = path.join(ws.root, 'analysis.ipynb');
    const original = sha(file);
    try {
      await ok(client, 'read_notebook', { path: 'analysis.ipynb' });
      assert.equal((await ok(client, 'update_cell', { path: 'analysis.ipynb', cell_id: 'cb7e3919', source: 'sales = []' })).success, true);
      await server.agents.flush();
      const listed = await ok(client, 'agent_changes', { path: 'analysis.ipynb' });
      assert.match(listed.message, /Checkpoint of analysis\.ipynb not saved: .*cannot be written \(ENOTDIR\)\. Reverting works until the server stops/);
      const r = await ok(client, 'agent_changes', { path: 'analysis.ipynb', action: 'revert' });
      assert.deepEqual(r.reverted, ['cb7e3919']);
      assert.equal(sha(file), original);
    } finally {
      await client.close();
      await server.close();
      rmSync(blocker, { force: true });
      ws.cleanup();
    }
  });

  test('with provenance in metadata on, each cell an agent changes says so in its metadata', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const server = await startServer({ root: ws.root, provenanceInMetadata: true });
    const client = await agent(server.url, 'Roo Code');
    try {
      const added = await ok(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'code', source: 'x = 1' });
      await ok(client, 'update_cell', { path: 'analysis.ipynb', cell_id: 'cb7e3919', source: 'sales = []' });
      const nb = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8'));
      const byId = Object.fromEntries(nb.cells.map((c: any) => [c.id, c.metadata]));
      assert.deepEqual({ ...byId[added.cell_id].jupyter_mcp, at: 'x' }, { agent: 'Roo Code', change: 'added', at: 'x' });
      assert.deepEqual({ ...byId.cb7e3919.jupyter_mcp, at: 'x' }, { agent: 'Roo Code', change: 'edited', at: 'x' });
      assert.match(byId.cb7e3919.jupyter_mcp.at, /^\d{4}-\d\d-\d\dT/);
      assert.equal(byId['7c498ad4'].jupyter_mcp, undefined);
    } finally {
      await client.close();
      await server.close();
      ws.cleanup();
    }
  });
});

describe("what each client's model reads of the new results, at VS Code's 8,000-character budget", () => {
  test('a long agent_changes list and a refusal quoting a large cell fit every view, advice included', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const server = await startServer({ root: ws.root, maxResultChars: 8000 });
    const client = await agent(server.url, 'Roo Code');
    const raw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ResultLike;
    try {
      for (let i = 0; i < 60; i++) await ok(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'code', source: `step_${i} = ${i}` });
      const list = await raw('agent_changes', { path: 'analysis.ipynb' });
      for (const [who, view] of Object.entries(allViews(list))) {
        assert.ok(Buffer.byteLength(view.text) <= 8000, `${who}: ${Buffer.byteLength(view.text)} bytes`);
        assert.match(view.text, /agent_changes \{\\?"path\\?":\\?"analysis\.ipynb\\?",\\?"action\\?":\\?"revert\\?"\}/, who);
        assert.match(view.text, /The 20 oldest are not listed/, who);
      }
      // A large cell (multi-byte text) the person changed after the agent read it.
      await ok(client, 'read_notebook', { path: 'analysis.ipynb', format: 'outline', limit: 5 });
      personEdits(path.join(ws.root, 'analysis.ipynb'), typeIn('cb7e3919', 'données = "é"\n'.repeat(400)));
      const refused = await raw('update_cell', { path: 'analysis.ipynb', cell_id: 'cb7e3919', source: 'x = 1' });
      assert.equal(refused.isError, true);
      for (const [who, view] of Object.entries(allViews(refused))) {
        assert.ok(Buffer.byteLength(view.text) <= 8192, `${who}: ${Buffer.byteLength(view.text)} bytes`);
        assert.match(view.text, /more characters: read it all with read_notebook/, who);
        assert.match(view.text, /overwrite: true/, who);
      }
    } finally {
      await client.close();
      await server.close();
      ws.cleanup();
    }
  });
});

describe('agent changes survive a server restart (checkpoints outside the workspace)', () => {
  test('after a restart the changes are still listed, and the revert gives back the exact bytes', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const cpDir = mkdtempSync(path.join(tmpdir(), 'jmcp-cp-keep-'));
    const file = path.join(ws.root, 'analysis.ipynb');
    const original = sha(file);
    try {
      let server = await startServer({ root: ws.root, checkpointDir: cpDir });
      let client = await agent(server.url, 'Roo Code');
      await ok(client, 'read_notebook', { path: 'analysis.ipynb' });
      await ok(client, 'update_cell', { path: 'analysis.ipynb', cell_id: 'cb7e3919', source: 'sales = []' });
      await ok(client, 'add_cell', { path: 'analysis.ipynb', cell_type: 'code', source: 'more = 1' });
      await client.close();
      await server.close();
      assert.ok(!readFileSync(file, 'utf8').includes('before-agent'), 'nothing of the checkpoint in the workspace');

      server = await startServer({ root: ws.root, checkpointDir: cpDir });
      client = await agent(server.url, 'Roo Code');
      try {
        const listed = await ok(client, 'agent_changes', { path: 'analysis.ipynb' });
        assert.equal(listed.changes.length, 2);
        const r = await ok(client, 'agent_changes', { path: 'analysis.ipynb', action: 'revert' });
        assert.equal(r.reverted.length, 2);
        assert.equal(sha(file), original);
      } finally {
        await client.close();
        await server.close();
      }
    } finally {
      rmSync(cpDir, { recursive: true, force: true });
      ws.cleanup();
    }
  });
});
