// The pieces behind "one notebook, a person and an agent", without a server: a session's view of
// a notebook and the staleness checks (tools/cellGuard.ts), the cell-wise revert plan
// (agents/revert.ts), the agent-change record with its checkpoints (agents/changes.ts) and its
// index file (agents/records.ts).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { applyEdits } from '../../src/notebooks/cells';
import { FileNotebookStore } from '../../src/notebooks/fileStore';
import { joinSource, makeCell, parseNotebook, type Notebook } from '../../src/notebooks/nbformat';
import { Workspace } from '../../src/notebooks/paths';
import type { CellEdit, NotebookInfo } from '../../src/notebooks/store';
import { checkCell, noteEdit, noteRead } from '../../src/tools/cellGuard';
import type { SessionState } from '../../src/tools/tool';
import { collectNotes } from '../../src/util/callNotes';
import { AgentChanges } from '../../src/agents/changes';
import { CheckpointStore } from '../../src/agents/checkpoints';
import { loadRecords, saveRecords } from '../../src/agents/records';
import { cellPrint, textPrint } from '../../src/agents/prints';
import { silentLogger } from '../../src/util/log';
import { FIXTURES } from '../helpers/mcp';

const REL = 'nb.ipynb';
const roo = { client: 'Roo Code', tool: 'update_cell' };

function notebook(sources: string[], ids = true): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: ids ? 5 : 4,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
    cells: sources.map((s, i) => {
      const c = makeCell('code', s);
      if (ids) c.id = `c${i}`;
      else delete c.id;
      return c;
    }),
  };
}

const session = (): SessionState => ({ seen: new Map() });
const src = (nb: Notebook) => nb.cells.map((c) => joinSource(c.source));

describe('a session\'s view of a notebook (cellGuard)', () => {
  test('a cell changed since the read is refused with its source; the refusal counts as seeing it', () => {
    const s = session();
    const nb = notebook(['a = 1', 'b = 2']);
    noteRead(s, REL, nb, 0, 2);
    const now = applyEdits(nb, [{ kind: 'source', index: 1, source: 'b = 2  # person' }]);
    assert.throws(() => checkCell(s, REL, now, 1, { cell_id: 'c1' }), /Cell c1 \(index 1\) of nb\.ipynb changed since this session last read it[\s\S]*b = 2  # person[\s\S]*overwrite: true/);
    assert.doesNotThrow(() => checkCell(s, REL, now, 1, { cell_id: 'c1' }));
  });

  test('a long source is quoted in part and not counted as seen (read it whole first)', () => {
    const s = session();
    const nb = notebook(['x']);
    noteRead(s, REL, nb, 0, 1);
    const now = applyEdits(nb, [{ kind: 'source', index: 0, source: 'y = 1\n'.repeat(2000) }]);
    assert.throws(() => checkCell(s, REL, now, 0, {}), (e: Error) => {
      assert.ok(Buffer.byteLength(e.message) < 6000, `${Buffer.byteLength(e.message)} bytes`);
      assert.match(e.message, /more characters: read it all with read_notebook \{"path":"nb\.ipynb","format":"source","start_index":0,"limit":1\}/);
      return true;
    });
    assert.throws(() => checkCell(s, REL, now, 0, {}), /changed since/);
    assert.doesNotThrow(() => checkCell(s, REL, now, 0, { overwrite: true }));
  });

  test('an index that now holds another cell is refused, naming both cells', () => {
    const s = session();
    const nb = notebook(['a', 'b', 'c']);
    noteRead(s, REL, nb, 0, 3);
    const now = applyEdits(nb, [{ kind: 'insert', index: 0, cells: [{ ...makeCell('markdown', 'new'), id: 'p0' }] }]);
    assert.throws(() => checkCell(s, REL, now, 1, { index: 1 }), /Index 1 is now cell c0 \(code: "a"\); you saw cell c1 there, now at index 2\. Name the cell by cell_id \("cell_id": "c1"/);
    // By id, the cell itself is unchanged: fine.
    assert.doesNotThrow(() => checkCell(s, REL, now, 2, { cell_id: 'c1' }));
  });

  test('a session that never saw the cell is not blocked; the call is told it edited blind', async () => {
    const s = session();
    const nb = notebook(['a']);
    const { notes } = await collectNotes(async () => checkCell(s, REL, nb, 0, { index: 0 }));
    assert.equal(notes.length, 1);
    assert.match(notes[0], /^Edited blind: this session had not read cell c0 of nb\.ipynb/);
  });

  test("the session's own edits move its view; others' changes made meanwhile are not taken in", () => {
    const s = session();
    const nb = notebook(['a', 'b', 'c']);
    noteRead(s, REL, nb, 0, 3);
    // The person changes c2; the agent inserts at 0 and edits c0.
    const person = applyEdits(nb, [{ kind: 'source', index: 2, source: 'c  # person' }]);
    const edits: CellEdit[] = [{ kind: 'insert', index: 0, cells: [{ ...makeCell('code', 'new'), id: 'n0' }] }, { kind: 'source', index: 1, source: 'a2' }];
    const after = applyEdits(person, edits);
    noteEdit(s, REL, person, edits, after);
    assert.doesNotThrow(() => checkCell(s, REL, after, 0, { index: 0 }), 'its own new cell at 0');
    assert.doesNotThrow(() => checkCell(s, REL, after, 1, { index: 1 }), 'its own edit of c0, now at 1');
    assert.doesNotThrow(() => checkCell(s, REL, after, 2, { index: 2 }), 'c1, shifted by its own insert');
    assert.throws(() => checkCell(s, REL, after, 3, { index: 3 }), /Cell c2 \(index 3\).*changed since/, "the person's change is still unseen");
 
    // The person now inserts a cell above: the session's (moved) view of the indexes catches it.
    const above = applyEdits(after, [{ kind: 'insert', index: 0, cells: [{ ...makeCell('markdown', 'p'), id: 'p0' }] }]);
    assert.throws(() => checkCell(s, REL, above, 2, { index: 2 }), /Index 2 is now cell c0 \(code: "a2"\); you saw cell c1 there, now at index 3/);
  });

  test('what the session knew of a cell it removed is dropped: adding and removing cells for hours keeps its view the size of the notebook', () => {
    const s = session();
    let nb = notebook(['a', 'b']);
    noteRead(s, REL, nb, 0, 2);
    for (let k = 0; k < 50; k++) {
      const add: CellEdit[] = [{ kind: 'insert', index: 1, cells: [{ ...makeCell('raw', `r${k}`), id: `r${k}` }] }];
      const added = applyEdits(nb, add);
      noteEdit(s, REL, nb, add, added);
      const del: CellEdit[] = [{ kind: 'delete', index: 1, count: 1 }];
      nb = applyEdits(added, del);
      noteEdit(s, REL, added, del, nb);
    }
    assert.deepEqual([...s.cells!.get(REL)!.prints.keys()].sort(), ['c0', 'c1']);
    // The cells still there are still checked.
    const person = applyEdits(nb, [{ kind: 'source', index: 1, source: 'b  # person' }]);
    assert.throws(() => checkCell(s, REL, person, 1, { cell_id: 'c1' }), /changed since/);
  });

  test('a notebook without ids: what was read by index is known by id after the first edit', () => {
    const s = session();
    const nb = notebook(['a', 'b'], false);
    noteRead(s, REL, nb, 0, 2);
    const edits: CellEdit[] = [{ kind: 'source', index: 0, source: 'a2' }];
    const after = applyEdits(nb, edits);
    noteEdit(s, REL, nb, edits, after);
    assert.ok(after.cells.every((c) => typeof c.id === 'string'));
    assert.doesNotThrow(() => checkCell(s, REL, after, 1, { cell_id: after.cells[1].id }));
    assert.doesNotThrow(() => checkCell(s, REL, after, 1, { index: 1 }));
  });
});

describe('agent changes: record, checkpoints, revert', () => {
  function setup(opts: { cpDir?: string | null; maxBytes?: number; quietMs?: number } = {}) {
    const root = mkdtempSync(path.join(tmpdir(), 'jmcp-unit-agents-'));
    const cpDir = opts.cpDir === null ? undefined : (opts.cpDir ?? mkdtempSync(path.join(tmpdir(), 'jmcp-unit-cp-')));
    const files = new FileNotebookStore(new Workspace(root));
    let now = 1_800_000_000_000;
    const agents = new AgentChanges({ store: files, checkpoints: new CheckpointStore(cpDir, opts.maxBytes), log: silentLogger, now: () => now, quietMs: opts.quietMs });
    const info: NotebookInfo = { path: path.join(root, REL), relativePath: REL, store: 'file' };
    /** An agent edit through the store, recorded as the tracking store records it. */
    const agentEdit = async (edits: (nb: Notebook) => CellEdit[], caller = roo) => {
      let before!: Notebook;
      let planned: CellEdit[] = [];
      const res = await files.edit(REL, (nb) => {
        before = nb as Notebook;
        planned = edits(nb as Notebook);
        return { edits: planned, result: undefined };
      });
      agents.recordEdit(info, before, planned, res.notebook, caller);
    };
    const personEdit = async (edits: (nb: Notebook) => CellEdit[]) => files.edit(REL, (nb) => ({ edits: edits(nb as Notebook), result: undefined }));
    const read = async () => (await files.read(REL)).notebook;
    return {
      root, files, agents, agentEdit, personEdit, read,
      tick: (ms: number) => (now += ms),
      cleanup: async () => {
        await agents.dispose();
        rmSync(root, { recursive: true, force: true });
        if (cpDir && opts.cpDir === undefined) rmSync(cpDir, { recursive: true, force: true });
      },
    };
  }

  test('a cell the person changed between the checkpoint and the agent\'s change gets the person\'s version back, not the checkpoint\'s', async () => {
    const t = setup();
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a', 'b', 'c'])));
      await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a by agent' }]);
      t.tick(1000);
      await t.personEdit(() => [{ kind: 'source', index: 1, source: 'b by person' }]);
      t.tick(1000);
      await t.agentEdit(() => [{ kind: 'source', index: 1, source: 'b by agent' }]);
      const r = await t.agents.revert(REL);
      assert.deepEqual(r.reverted.map((c) => c.cell_id).sort(), ['c0', 'c1']);
      assert.deepEqual(src(await t.read()), ['a', 'b by person', 'c']);
    } finally {
      await t.cleanup();
    }
  });

  test('after a quiet spell a new checkpoint is taken; the review shows the oldest', async () => {
    const t = setup({ quietMs: 60_000 });
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a', 'b'])));
      await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a1' }]);
      t.tick(120_000);
      await t.agentEdit(() => [{ kind: 'source', index: 1, source: 'b1' }]);
      const review = path.join(t.root, '..', `${path.basename(t.root)}-review`);
      const cp = await t.agents.checkpointFile(REL, review);
      assert.ok(cp);
      assert.deepEqual(src(parseNotebook(readFileSync(cp.file, 'utf8'), 'cp')), ['a', 'b']);
      rmSync(review, { recursive: true, force: true });
      await t.agents.flush();
      const kept = t.agents.checkpointDir!;
      assert.equal(readdirCount(kept, /\.before-agent\./), 2, 'two checkpoints kept');
      const r = await t.agents.revert(REL);
      assert.equal(r.reverted.length, 2);
      assert.deepEqual(src(await t.read()), ['a', 'b']);
      await t.agents.flush();
      assert.equal(readdirCount(kept, /\.before-agent\./), 0, 'checkpoints removed once nothing is left to revert');
    } finally {
      await t.cleanup();
    }
  });

  test('a checkpoint store that is full or unwritable: the edit is recorded, the problem said, the revert still works', async () => {
    const holder = mkdtempSync(path.join(tmpdir(), 'jmcp-unit-notdir-'));
    const file = path.join(holder, 'a-file');
    writeFileSync(file, 'not a folder');
    for (const [label, opts] of [['full', { maxBytes: 100 }], ['unwritable', { cpDir: path.join(file, 'sub') }]] as const) {
      const t = setup(opts);
      try {
        writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a', 'b'])));
        await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a1' }, { kind: 'delete', index: 1, count: 1 }]);
        await t.agents.flush();
        const listed = t.agents.list(REL, await t.read());
        assert.equal(listed.changes.length, 2, label);
        assert.match(listed.problem ?? '', label === 'full' ? /the checkpoint store is full/ : /cannot be written \(ENOTDIR\)/, label);
        assert.match(t.agents.summary()[0].problem ?? '', /not saved/, label);
        const r = await t.agents.revert(REL);
        assert.equal(r.reverted.length, 2, label);
        assert.deepEqual(src(await t.read()), ['a', 'b'], label);
      } finally {
        await t.cleanup();
      }
    }
    rmSync(holder, { recursive: true, force: true });
  });

  test('revert keeps outputs someone made after the agent ran a cell, and restores cells the agent removed in place', async () => {
    const t = setup();
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a', 'b', 'c', 'd'])));
      await t.agentEdit(() => [{ kind: 'delete', index: 1, count: 1 }, { kind: 'move', from: 2, to: 0 }], { client: 'Cline', tool: 'remove_cell' });
      assert.deepEqual(src(await t.read()), ['d', 'a', 'c']);
      await t.agentEdit(() => [{ kind: 'outputs', index: 2, outputs: [{ output_type: 'stream', name: 'stdout', text: ['agent\n'] }], executionCount: 1 }], { client: 'Cline', tool: 'execute_notebook_cell' });
      const listed = t.agents.list(REL, await t.read());
      assert.deepEqual(Object.fromEntries(listed.changes.map((c) => [c.cell_id, c.change.join(',')])), { c1: 'removed', c3: 'moved', c2: 'ran' });
      await t.personEdit(() => [{ kind: 'outputs', index: 2, outputs: [{ output_type: 'stream', name: 'stdout', text: ['person\n'] }], executionCount: 2 }]);
      const r = await t.agents.revert(REL);
      assert.equal(r.left.length, 0);
      const nb = await t.read();
      assert.deepEqual(src(nb), ['a', 'b', 'c', 'd']);
      assert.deepEqual(nb.cells[2].outputs, [{ output_type: 'stream', name: 'stdout', text: ['person\n'] }], "the person's run stays");
    } finally {
      await t.cleanup();
    }
  });

  test('nothing to revert says so; revert of a notebook deleted since names its kept checkpoint', async () => {
    const t = setup();
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a'])));
      assert.match((await t.agents.revert(REL)).message, /^Nothing to revert in nb\.ipynb: no agent changes are recorded/);
      await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a1' }]);
      assert.match((await t.agents.revert(REL, { cells: ['zz'] })).message, /no agent change is recorded for cell zz/);
      await t.agents.flush();
      rmSync(path.join(t.root, REL));
      await assert.rejects(t.agents.revert(REL), /nb\.ipynb no longer exists \(deleted or renamed since an agent changed it\); nothing was reverted\. Its checkpoint from before the agent's changes is kept at .*\.before-agent\..*\.ipynb/);
      assert.equal(t.agents.accept(REL), 1);
    } finally {
      await t.cleanup();
    }
  });

  test('a record follows its notebook when it (or its folder) is renamed', async () => {
    const t = setup();
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a'])));
      await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a1' }]);
      t.agents.renamed(REL, 'moved/nb.ipynb');
      assert.equal(t.agents.has(REL), false);
      assert.equal(t.agents.markOf('moved/nb.ipynb', 'c0')?.agent, 'Roo Code');
    } finally {
      await t.cleanup();
    }
  });

  test('changes within the quiet time share one checkpoint, and the marks survive a restart (a new AgentChanges on the same folder)', async () => {
    const t = setup({ quietMs: 60_000 });
    try {
      writeFileSync(path.join(t.root, REL), JSON.stringify(notebook(['a', 'b'])));
      await t.agentEdit(() => [{ kind: 'source', index: 0, source: 'a1' }]);
      t.tick(30_000);
      await t.agentEdit(() => [{ kind: 'source', index: 1, source: 'b1' }]);
      await t.agents.flush();
      const kept = t.agents.checkpointDir!;
      assert.equal(readdirCount(kept, /\.before-agent\./), 1, 'one checkpoint for two changes 30 s apart');
      const again = new AgentChanges({ store: t.files, checkpoints: new CheckpointStore(kept), log: silentLogger, now: () => t.tick(0) });
      try {
        await again.ready;
        assert.equal(again.markOf(REL, 'c1')?.agent, 'Roo Code');
        assert.deepEqual(again.list(REL, await t.read()).changes.map((c) => c.cell_id), ['c0', 'c1']);
      } finally {
        await again.dispose();
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('the index file and prints', () => {
  test('a damaged or foreign index loads nothing, never throws; a saved one loads back', () => {
    for (const junk of [undefined, null, 42, 'x', { version: 2, notebooks: [] }, { version: 1, notebooks: 'no' }, { version: 1, notebooks: [null, 1, { path: 3 }, { path: 'a', last: 1, checkpoints: [{ seq: 1, at: 1, name: '../escape.ipynb' }], cells: [['x', { agent: 'a' }]] }] }]) {
      const recs = loadRecords(junk);
      assert.ok(recs.every((r) => r.cells.size === 0 && r.checkpoints.length === 0), JSON.stringify(junk));
    }
    const cell = makeCell('code', 'x');
    const json = saveRecords([
      {
        path: 'a.ipynb', last: 5, nextSeq: 2,
        checkpoints: [{ seq: 1, at: 1, name: 'a.before-agent.1.ipynb', state: 'saved', size: 10 }],
        cells: new Map([['c1', { agent: 'Roo Code', agents: ['Roo Code'], kinds: ['edited'], first: 1, at: 5, print: 'p', orig: { cell } }]]),
      },
    ]);
    const [back] = loadRecords(JSON.parse(json));
    assert.equal(back.path, 'a.ipynb');
    assert.deepEqual(back.cells.get('c1')?.orig, { cell });
    assert.equal(back.checkpoints[0].state, 'saved');
  });

  test('the print of an nbformat cell and of the same text in the editor agree (line ends aside)', () => {
    const nb = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8')) as Notebook;
    for (const c of nb.cells) assert.equal(cellPrint(c), textPrint(joinSource(c.source).replace(/\n/g, '\r\n'), c.cell_type));
    assert.notEqual(textPrint('a', 'code'), textPrint('a', 'markdown'));
  });
});

function readdirCount(dir: string, re: RegExp): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('fs').readdirSync(dir) as string[]).filter((f) => re.test(f) && !f.startsWith('.')).length;
}

test('agents are named to the person by what they are, not by the program that connected', async () => {
  const { agentName } = await import('../../src/common/agentNames');
  assert.equal(agentName('Visual Studio Code'), 'Copilot');
  assert.equal(agentName('code-server'), 'Copilot');
  assert.equal(agentName('claude-code'), 'Claude Code');
  assert.equal(agentName('Roo Code'), 'Roo Code');
  assert.equal(agentName('my-own-agent'), 'my-own-agent');
  assert.equal(agentName(undefined), 'an MCP client');
});
