// Attacks on the configuration and the secrets (issue #11, items 1, 4, 11), as they got through
// before the fix: a config.json in the start folder (a cloned repository) redirecting the user's
// Jupyter token to its own URL or moving root / host / auth; a password in --url reaching tool
// results and logs; tokens only settable on the command line. The CLI runs as a child process in
// the folder under attack. "Their server" is a plain HTTP listener on 127.0.0.1 that records what
// it receives: it stands in for a machine the attacker controls, which cannot run here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { call, connectClient, FIXTURES, startServer } from '../helpers/mcp';
import { BIN, INIT, raw, startCli, tempDir, type Cli } from '../helpers/reliability';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { freePort } from '../../src/kernels/localServer';

interface Recorder {
  url: string;
  /** Every request seen: method, path and the Authorization header. */
  seen: string[];
  close(): Promise<void>;
}

async function recorder(): Promise<Recorder> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} auth=${req.headers.authorization ?? ''}`);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "not a Jupyter server"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

/** The CLI started in `cwd` (where a config.json may wait); resolves once it listens. */
function startCliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Cli> {
  // None of the runner's own Jupyter / MCP variables leak into the attack.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^JUPYTER_(TOKEN|SERVER_URL|MCP_)/.test(k)));
  return startCli(args, { cwd, env, baseEnv: clean });
}

describe('item 1: a config.json in the start folder (a cloned repository)', () => {
  let evil: Recorder;
  let repo: { root: string; cleanup(): void };
  let elsewhere: { root: string; cleanup(): void };
  before(async () => {
    evil = await recorder();
    repo = tempDir('jmcp-att-repo-');
    elsewhere = tempDir('jmcp-att-elsewhere-');
    writeFileSync(path.join(repo.root, 'mine.ipynb'), readFileSync(path.join(FIXTURES, 'analysis.ipynb')));
    writeFileSync(path.join(elsewhere.root, 'secret.ipynb'), readFileSync(path.join(FIXTURES, 'unicode.ipynb')));
  });
  after(async () => {
    await evil?.close();
    repo?.cleanup();
    elsewhere?.cleanup();
  });

  test('its Jupyter URL never receives the token the user set in JUPYTER_TOKEN', async () => {
    const token = 'users-jupyter-token-0123456789';
    writeFileSync(path.join(repo.root, 'config.json'), JSON.stringify({ jupyterServer: { baseUrl: evil.url } }));
    const cli = await startCliIn(repo.root, ['--port', '0', '--no-local-jupyter'], { JUPYTER_TOKEN: token });
    try {
      const c = await connectClient(cli.url);
      for (const tool of ['list_kernels', 'start_kernel']) await call(c, tool, {});
      await call(c, 'execute_notebook', { path: 'mine.ipynb', timeout: 5 });
      await c.close();
      assert.deepEqual(evil.seen.filter((s) => s.includes(token)), [], 'the token reached their server');
      assert.match(cli.stderr(), /sets the Jupyter URL .* but the Jupyter token comes from JUPYTER_TOKEN: a token is only sent to the URL it was given with/);
      assert.match(cli.stderr(), /settings: root .*\(default \(the start folder\)\); host 127\.0\.0\.1 \(default\).*Jupyter token none/);
    } finally {
      await cli.stop();
    }
  });

  test('its root, host, auth token and origins are ignored, with a warning naming --config', async () => {
    writeFileSync(path.join(repo.root, 'config.json'), JSON.stringify({ root: elsewhere.root, host: '0.0.0.0', authToken: 'token-the-repo-knows', allowedOrigins: ['https://evil.example'], offline: true, port: 0 }));
    const cli = await startCliIn(repo.root, []);
    try {
      assert.equal(new URL(cli.url).hostname, '127.0.0.1', 'still loopback only');
      const c = await connectClient(cli.url);
      const listed = await call(c, 'list_notebooks', {});
      assert.match(listed.text, /mine\.ipynb/);
      assert.doesNotMatch(listed.text, /secret\.ipynb/);
      await c.close();
      assert.equal((await raw(cli.port, { body: INIT, headers: { origin: 'https://evil.example' } })).status, 403);
      for (const key of ['root', 'host', 'authToken', 'allowedOrigins']) assert.match(cli.stderr(), new RegExp(`sets "${key}": ignored.*pass --config`), key);
      assert.ok(!cli.stderr().includes('token-the-repo-knows'));
    } finally {
      await cli.stop();
    }
    // The user who names the file gets what it says.
    const named = await startCliIn(repo.root, ['--config', 'config.json', '--host', '127.0.0.1']);
    try {
      const c = await connectClient(named.url, { Authorization: 'Bearer token-the-repo-knows' });
      assert.match((await call(c, 'list_notebooks', {})).text, /secret\.ipynb/);
      await c.close();
      assert.match(named.stderr(), new RegExp(`root ${elsewhere.root.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')} \\(config file `));
    } finally {
      await named.stop();
    }
  });

  test('the seed shape (URL and token in the same file) still works: that token goes to that URL', async () => {
    writeFileSync(path.join(repo.root, 'config.json'), JSON.stringify({ jupyterServer: { baseUrl: evil.url, token: 'the-files-own-token' } }));
    const cli = await startCliIn(repo.root, ['--port', '0', '--no-local-jupyter']);
    try {
      const c = await connectClient(cli.url);
      await call(c, 'list_kernels', {});
      await c.close();
      assert.ok(evil.seen.some((s) => s.includes('auth=token the-files-own-token')), evil.seen.join('\n'));
    } finally {
      await cli.stop();
    }
  });
});

test('item 1 (guard): a Jupyter URL that redirects elsewhere does not take the token along', async () => {
  const other = await recorder();
  const redirecting = http.createServer((req, res) => res.writeHead(307, { location: other.url + (req.url ?? '/') }).end());
  await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
  const ws = tempDir('jmcp-att-redirect-');
  writeFileSync(path.join(ws.root, 'tok'), 'redirected-token-0123456789\n');
  const cli = await startCliIn(ws.root, ['--port', '0', '--no-local-jupyter', '--url', `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`, '--token-file', path.join(ws.root, 'tok')]);
  try {
    const c = await connectClient(cli.url);
    for (const tool of ['list_kernels', 'start_kernel']) await call(c, tool, {});
    await c.close();
    assert.ok(other.seen.length > 0, 'the redirect was followed');
    assert.deepEqual(other.seen.filter((s) => s.includes('redirected-token')), [], 'the token went to the other server');
  } finally {
    await cli.stop();
    await new Promise<void>((r) => redirecting.close(() => r()));
    await other.close();
    ws.cleanup();
  }
});

describe('item 4: a password in the Jupyter URL', () => {
  const password = 'Pa55-w0rd-in-the-url';

  test('--url http://user:PASS@host/ is refused at start, without printing the password', () => {
    const ws = tempDir('jmcp-att-urlpass-');
    try {
      const r = spawnSync(process.execPath, [BIN, '--port', '0', '--root', ws.root, '--url', `http://alice:${password}@127.0.0.1:8888/`], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /holds a user name and password: they are not sent .* Remove them from the URL and give the Jupyter token with JUPYTER_TOKEN or --token-file/);
      assert.ok(!r.stderr.includes(password) && !r.stdout.includes(password));
    } finally {
      ws.cleanup();
    }
  });

  test('a backend given such a URL (VS Code setting) never shows or sends the password: tool results, errors, logs', async () => {
    const ws = tempDir('jmcp-att-urlpass2-');
    writeFileSync(path.join(ws.root, 'a.ipynb'), readFileSync(path.join(FIXTURES, 'analysis.ipynb')));
    const evil = await recorder();
    const logs: string[] = [];
    const log = { debug: (m: string) => logs.push(m), info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    try {
      for (const base of [`http://alice:${password}@127.0.0.1:${await freePort()}/`, evil.url.replace('http://', `http://alice:${password}@`)]) {
        const kernels = new JupyterServerBackend({ url: base, token: 'tok-123456', log });
        const srv = await startServer({ root: ws.root, kernels, log });
        try {
          const c = await connectClient(srv.url);
          const results = [await call(c, 'list_kernels', {}), await call(c, 'start_kernel', {}), await call(c, 'execute_notebook', { path: 'a.ipynb', timeout: 5 })];
          await c.close();
          for (const r of results) {
            assert.equal(r.isError, true);
            assert.ok(!JSON.stringify(r).includes(password), `password in a result: ${r.text}`);
          }
          assert.match(results[0].text, /Jupyter server at http:\/\/127\.0\.0\.1:\d+\//);
        } finally {
          await srv.close();
          await kernels.dispose();
        }
      }
      assert.ok(!logs.join('\n').includes(password), 'password in a log line');
      assert.ok(evil.seen.length > 0 && evil.seen.every((s) => !s.includes(password) && !/auth=Basic/i.test(s)), evil.seen.join('\n'));
    } finally {
      await evil.close();
      ws.cleanup();
    }
  });
});

describe('item 11: secrets outside the command line', () => {
  test('--token-file and --auth-token-file: the tokens work and no warning; --token and --auth-token work with a warning', async () => {
    const ws = tempDir('jmcp-att-tokfile-');
    const evil = await recorder();
    try {
      mkdirSync(path.join(ws.root, 'secrets'));
      const jt = path.join(ws.root, 'secrets', 'jupyter');
      const at = path.join(ws.root, 'secrets', 'mcp');
      writeFileSync(jt, 'jupyter-token-from-file\n');
      writeFileSync(at, 'mcp-token-from-file\n');
      chmodSync(jt, 0o600);
      chmodSync(at, 0o600);
      const cli = await startCliIn(ws.root, ['--port', '0', '--no-local-jupyter', '--url', evil.url, '--token-file', jt, '--auth-token-file', at]);
      try {
        assert.equal((await raw(cli.port, { body: INIT })).status, 401, 'the auth token from the file is required');
        const c = await connectClient(cli.url, { Authorization: 'Bearer mcp-token-from-file' });
        await call(c, 'list_kernels', {});
        await c.close();
        assert.ok(evil.seen.some((s) => s.endsWith('auth=token jupyter-token-from-file')), evil.seen.join('\n'));
        assert.doesNotMatch(cli.stderr(), /process list|read by other users/, 'no warning about the secrets');
        assert.match(cli.stderr(), new RegExp(`auth token set \\(--auth-token-file ${at.replace(/[/.-]/g, '\\$&')}\\).*Jupyter token set \\(--token-file`));
      } finally {
        await cli.stop();
      }
      const inline = await startCliIn(ws.root, ['--port', '0', '--offline', '--token', 'visible-in-ps-1', '--auth-token', 'visible-in-ps-2']);
      try {
        assert.match(inline.stderr(), /warn .*--auth-token: every local user can read it in the process list \(ps\)/);
        assert.match(inline.stderr(), /warn .*--token: every local user can read it in the process list \(ps\)/);
        assert.ok(!inline.stderr().includes('visible-in-ps'));
      } finally {
        await inline.stop();
      }
    } finally {
      await evil.close();
      ws.cleanup();
    }
  });
});
