// resolveSettings (src/config.ts): where each setting comes from, what a config file found in the
// start folder may not change, secrets from files and the environment, and the warnings printed
// at start. Real files in a temp folder; no network.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeSources, resolveSettings, UsageError } from '../../src/config';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jmcp-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, value: unknown, mode = 0o600) => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  chmodSync(p, mode);
  return p;
};
const settings = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveSettings(argv, env, dir);

test('a ./config.json found in the start folder cannot change root, host, auth, origins or hosts', () => {
  mkdirSync(path.join(dir, 'elsewhere'));
  write('config.json', { root: '/', host: '0.0.0.0', authToken: 'known-to-the-repo', allowedOrigins: ['https://evil.example'], allowedHosts: ['evil.example'], port: 4123, timeout: 60 });
  const s = settings([]);
  assert.equal(s.root, dir);
  assert.equal(s.host, '127.0.0.1');
  assert.equal(s.authToken, undefined);
  assert.deepEqual(s.allowedOrigins, []);
  assert.deepEqual(s.allowedHosts, []);
  assert.equal(s.port, 4123, 'harmless keys still apply');
  assert.equal(s.execution.timeoutMs, 60_000);
  for (const key of ['root', 'host', 'authToken', 'allowedOrigins', 'allowedHosts']) {
    assert.ok(s.warnings!.some((w) => w.includes(`sets "${key}": ignored`) && w.includes('--config')), key);
  }
  assert.ok(!s.warnings!.join('\n').includes('known-to-the-repo'), 'a warning never shows the token');
  // Named with --config, the same file is the user's choice.
  const named = settings(['--config', 'config.json']);
  assert.equal(named.root, '/');
  assert.equal(named.host, '0.0.0.0');
  assert.equal(named.authToken, 'known-to-the-repo');
  assert.deepEqual(named.warnings, []);
});

test('a Jupyter token is only sent to the URL it was given with', () => {
  write('config.json', { jupyterServer: { baseUrl: 'http://127.0.0.1:9999' } });
  // The user's token from the environment never goes to the file's URL.
  const s = settings([], { JUPYTER_TOKEN: 'users-own-token' });
  assert.equal(s.jupyter.url, undefined);
  assert.equal(s.jupyter.token, 'users-own-token');
  assert.match(s.warnings!.join('\n'), /the Jupyter token comes from JUPYTER_TOKEN: a token is only sent to the URL it was given with/);
});

test('… named with --config: refused with what to do; the seed shape (URL and token in one file) works', () => {
  const file = write('jmcp.json', { jupyterServer: { baseUrl: 'http://127.0.0.1:9999' } });
  assert.throws(() => settings(['--config', file], { JUPYTER_TOKEN: 'users-own-token' }), /only sent to the URL it was given with\. Put the token in the same file/);
  write('config.json', { jupyterServer: { baseUrl: 'http://127.0.0.1:9999', token: 'file-token' } });
  for (const argv of [[], ['--config', 'config.json']]) {
    const s = settings(argv);
    assert.equal(s.jupyter.url, 'http://127.0.0.1:9999/');
    assert.equal(s.jupyter.token, 'file-token');
  }
  // A token from the file overridden by the user's: the file's URL no longer goes with it.
  assert.equal(settings([], { JUPYTER_TOKEN: 'users-own-token' }).jupyter.url, undefined);
  // The user's own URL and token, from anywhere but a file, go together.
  const own = settings(['--url', 'http://127.0.0.1:8888'], { JUPYTER_TOKEN: 'users-own-token' });
  assert.equal(own.jupyter.url, 'http://127.0.0.1:8888/');
  assert.equal(own.jupyter.token, 'users-own-token');
});

test('secrets from files and the environment; a secret on the command line is warned about', () => {
  const tokenFile = write('jupyter.token', 'from-file-token\n');
  const authFile = write('auth.token', '  auth-from-file  \nsecond line ignored\n');
  const s = settings(['--url', 'http://127.0.0.1:8888', '--token-file', tokenFile, '--auth-token-file', authFile]);
  assert.equal(s.jupyter.token, 'from-file-token');
  assert.equal(s.authToken, 'auth-from-file');
  assert.deepEqual(s.warnings, []);
  assert.equal(s.sources!.jupyterToken, `--token-file ${tokenFile}`);
  const env = settings(['--url', 'http://127.0.0.1:8888'], { JUPYTER_TOKEN_FILE: tokenFile, JUPYTER_MCP_AUTH_TOKEN_FILE: authFile });
  assert.equal(env.jupyter.token, 'from-file-token');
  assert.equal(env.authToken, 'auth-from-file');
  const inline = settings(['--url', 'http://127.0.0.1:8888', '--token', 'inline-token', '--auth-token', 'inline-auth']);
  assert.equal(inline.warnings!.length, 2);
  assert.match(inline.warnings![0], /--auth-token: every local user can read it in the process list \(ps\).*JUPYTER_MCP_AUTH_TOKEN=… in the environment or --auth-token-file FILE/);
  assert.match(inline.warnings![1], /--token: every local user can read it .*JUPYTER_TOKEN=… in the environment or --token-file FILE/);
  assert.ok(!inline.warnings!.join('').includes('inline-'), 'the warning does not repeat the secret');
  const readable = write('open.token', 'world-readable-token', 0o644);
  assert.match(settings(['--auth-token-file', readable]).warnings!.join(''), /can be read by other users \(mode 644\): run chmod 600/);
  assert.throws(() => settings(['--token', 'a-token', '--token-file', tokenFile]), /--token or --token-file, not both/);
  assert.throws(() => settings(['--auth-token-file', path.join(dir, 'missing')]), /Cannot read --auth-token-file .*ENOENT/);
  assert.throws(() => settings(['--auth-token-file', write('empty', '\n')]), /is empty: write the token on its first line/);
});

test('URL credentials are refused without being repeated; --allow-host is checked; sources are reported', () => {
  assert.throws(
    () => settings(['--url', 'http://alice:S3cretPass@127.0.0.1:8888/']),
    (e: Error) => /holds a user name and password/.test(e.message) && !e.message.includes('S3cretPass') && e.message.includes('http://***@127.0.0.1:8888/'),
  );
  assert.throws(() => settings(['--allow-host', 'http://x/']), /--allow-host takes a host name or address/);
  const s = settings(['--allow-host', 'LocalHost:9000', '--allow-host', '[::1]', '--port', '0'], { JUPYTER_SERVER_URL: 'http://127.0.0.1:8888/?token=abc', JUPYTER_TOKEN: 't-123456' });
  assert.deepEqual(s.allowedHosts, ['localhost:9000', '[::1]']);
  const line = describeSources(s);
  assert.match(line, /root .* \(default \(the start folder\)\)/);
  assert.match(line, /port 0 \(--port\)/);
  // The URL's ?token= is taken out of it (JUPYTER_TOKEN wins) and never shown.
  assert.match(line, /Jupyter URL http:\/\/127\.0\.0\.1:8888\/ \(JUPYTER_SERVER_URL\)/);
  assert.ok(!line.includes('abc'), line);
  assert.match(line, /Jupyter token set \(JUPYTER_TOKEN\)/);
  assert.match(line, /allowed hosts localhost:9000, \[::1\] \(--allow-host\)/);
  assert.ok(!line.includes('t-123456') && !line.includes('abc'));
});

test('agent changes: --checkpoint-dir (or JUPYTER_MCP_CHECKPOINT_DIR) and --provenance-metadata; a config file sets neither', () => {
  assert.deepEqual(settings([]).agents, { provenanceInMetadata: false });
  assert.deepEqual(settings(['--checkpoint-dir', 'cp', '--provenance-metadata']).agents, { checkpointDir: path.join(dir, 'cp'), provenanceInMetadata: true });
  assert.deepEqual(settings([], { JUPYTER_MCP_CHECKPOINT_DIR: '/var/cp', JUPYTER_MCP_PROVENANCE_METADATA: '1' }).agents, { checkpointDir: '/var/cp', provenanceInMetadata: true });
  write('config.json', { port: 4124, checkpointDir: '/tmp/elsewhere' });
  assert.equal(settings([]).agents?.checkpointDir, undefined, 'checkpoints hold notebook content: not redirected by a file found in the start folder');
  assert.throws(() => settings(['--checkpoint-dir']), (e: Error) => e instanceof UsageError && /--checkpoint-dir needs a value/.test(e.message));
});
