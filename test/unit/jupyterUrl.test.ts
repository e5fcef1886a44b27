// Jupyter URLs as people paste them: from `jupyter server list` or the browser (?token=T), with a
// base path (a JupyterHub user's /user/NAME/), and --jupyter-root checked before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { resolveSettings, UsageError } from '../../src/config';
import { displayUrl, parseJupyterUrl } from '../../src/kernels/jupyter';

test('a ?token= in the URL is the token, never part of the base path', () => {
  assert.deepEqual(parseJupyterUrl('http://127.0.0.1:8888/?token=abc123'), { baseUrl: 'http://127.0.0.1:8888/', token: 'abc123' });
  assert.deepEqual(parseJupyterUrl('http://hub.example/user/alice/?token=t0k#x'), { baseUrl: 'http://hub.example/user/alice/', token: 't0k' });
  assert.deepEqual(parseJupyterUrl('http://hub.example/user/alice'), { baseUrl: 'http://hub.example/user/alice/', token: undefined });
  assert.equal(displayUrl('http://hub.example/user/alice/?token=t0k'), 'http://hub.example/user/alice/');
});

test('--url with ?token=: the token is taken from it unless --token is given; the URL keeps its base path only', () => {
  const cwd = process.cwd();
  const s = resolveSettings(['--url', 'http://127.0.0.1:8888/user/bob/?token=fromurl'], {}, cwd);
  assert.equal(s.jupyter.url, 'http://127.0.0.1:8888/user/bob/');
  assert.equal(s.jupyter.token, 'fromurl');
  const explicit = resolveSettings(['--url', 'http://127.0.0.1:8888/?token=fromurl', '--token', 'given'], {}, cwd);
  assert.equal(explicit.jupyter.token, 'given');
  assert.equal(explicit.jupyter.url, 'http://127.0.0.1:8888/');
});

test('--jupyter-root must exist and hold --root; otherwise a clear error, before anything starts', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'jmcp-jroot-'));
  try {
    const ws = path.join(base, 'server-root', 'project');
    mkdirSync(ws, { recursive: true });
    const s = resolveSettings(['--root', ws, '--jupyter-root', path.join(base, 'server-root')], {}, base);
    assert.equal(s.jupyter.jupyterRoot, path.join(base, 'server-root'));
    assert.throws(() => resolveSettings(['--root', ws, '--jupyter-root', path.join(base, 'missing')], {}, base), (e: Error) => e instanceof UsageError && /does not exist/.test(e.message));
    mkdirSync(path.join(base, 'elsewhere'));
    assert.throws(() => resolveSettings(['--root', ws, '--jupyter-root', path.join(base, 'elsewhere')], {}, base), (e: Error) => e instanceof UsageError && /not inside --jupyter-root/.test(e.message));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
