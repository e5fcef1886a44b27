// What a newcomer copies from the README must work as written:
// - every stdio command the README documents writes nothing but JSON-RPC on stdout (npm's banner,
//   a build message or a log line there is a parse error in the client);
// - `npx jupyter-mcp --help` prints the options (the bin is not on PATH after `npm install`);
// - at start the server says whether kernels can work, instead of failing on the first kernel call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Settings } from '../../src/config';
import { createKernelBackend } from '../../src/kernels/factory';

const ROOT = path.resolve(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Commands the README gives for stdio: `…` spans and lines of ```bash blocks that contain --stdio. */
function documentedStdioCommands(): string[] {
  const found = new Set<string>();
  for (const m of README.matchAll(/`([^`\n]*--stdio[^`\n]*)`/g)) found.add(m[1]);
  for (const block of README.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) if (line.includes('--stdio')) found.add(line.replace(/\s+#.*$/, '').trim());
  }
  // Option names in tables (`--stdio` alone) are not commands.
  return [...found].filter((c) => /^(npx|npm|node)\s/.test(c));
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'readme-test', version: '1' } },
});

/** Runs `command` in a shell from the clone, sends initialize, returns stdout once the answer came. */
function runStdio(command: string, workspace: string): Promise<{ stdout: string; stderr: string }> {
  const cmd = command.replaceAll('/path/to/jupyter-mcp', ROOT).replaceAll('/path/to/project', workspace);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `exec ${cmd}`], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined, npm_config_update_notifier: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr += d));
    child.stdout!.on('data', (d: string) => {
      stdout += d;
      // The initialize answer is in: close stdin, the server exits by itself.
      if (/"id":1\b/.test(stdout) && stdout.endsWith('\n')) child.stdin!.end();
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ stdout, stderr }));
    child.stdin!.write(`${INIT}\n`);
  });
}

test('every stdio command in the README writes only JSON-RPC on stdout', { timeout: 120_000 }, async () => {
  const commands = documentedStdioCommands();
  assert.ok(commands.length >= 3, `too few stdio commands found in README.md: ${JSON.stringify(commands)}`);
  const workspace = fs.mkdtempSync(path.join(tmpdir(), 'jmcp-readme-'));
  try {
    for (const command of commands) {
      const { stdout, stderr } = await runStdio(command, workspace);
      const lines = stdout.split('\n').filter((l) => l !== '');
      assert.ok(lines.length > 0, `${command}: nothing on stdout\n${stderr}`);
      for (const line of lines) {
        let msg: { jsonrpc?: string } | undefined;
        try {
          msg = JSON.parse(line) as { jsonrpc?: string };
        } catch {
          /* reported below */
        }
        assert.equal(msg?.jsonrpc, '2.0', `${command}: stdout carries a line that is not JSON-RPC: ${JSON.stringify(line)}`);
      }
      assert.match(lines[0], /"serverInfo":\{"name":"jupyter-mcp-server"/, `${command}: the first line is not the initialize answer`);
    }
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});

test('the README names `npx jupyter-mcp --help`, and it prints the options', { timeout: 60_000 }, async () => {
  assert.match(README, /`?npx jupyter-mcp --help`?/);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'exec npx jupyter-mcp --help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: undefined } });
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (text += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`npx jupyter-mcp --help exited ${code}`))));
  });
  for (const option of ['--port', '--stdio', '--url', '--token', '--root', '--offline']) assert.ok(out.includes(option), `--help does not list ${option}`);
});

function startupLog(pythons: string[]): Promise<string[]> {
  const lines: string[] = [];
  const root = fs.mkdtempSync(path.join(tmpdir(), 'jmcp-startup-'));
  return new Promise((resolve, reject) => {
    const done = (): void => {
      fs.rmSync(root, { recursive: true, force: true });
      resolve(lines);
    };
    const log = {
      debug: () => undefined,
      info: (m: string) => {
        lines.push(`info ${m}`);
        if (/^kernels: /.test(m)) done();
      },
      warn: (m: string) => {
        lines.push(`warn ${m}`);
        if (/^kernels: /.test(m)) done();
      },
      error: (m: string) => lines.push(`error ${m}`),
    };
    const settings = { root, jupyter: { offline: false, startLocal: true } } as unknown as Settings;
    createKernelBackend(settings, log, pythons).catch(reject);
  });
}

test('at start, the server says when no Jupyter is usable, and how to fix it', { timeout: 30_000 }, async () => {
  const lines = await startupLog(['/nonexistent/python3']);
  const line = lines.find((l) => l.startsWith('warn kernels: '));
  assert.ok(line, `no start-up line about kernels: ${JSON.stringify(lines)}`);
  assert.match(line, /no usable Jupyter: \/nonexistent\/python3 cannot import jupyter_server and ipykernel/);
  assert.match(line, /apt-get install jupyter-server python3-ipykernel.*--url URL --token TOKEN/);
  assert.doesNotMatch(lines.join('\n'), /will be started on first/);
});

test('at start, the server names the interpreter whose Jupyter it will start', { timeout: 30_000 }, async (t) => {
  if (!fs.existsSync('/usr/bin/python3')) return t.skip('no /usr/bin/python3');
  const lines = await startupLog(['/nonexistent/python3', '/usr/bin/python3']);
  const line = lines.find((l) => /kernels: /.test(l));
  if (line?.startsWith('warn')) return t.skip(`/usr/bin/python3 has no jupyter_server here: ${line}`);
  assert.match(line ?? '', /^info kernels: a local Jupyter server \(\/usr\/bin\/python3 -m jupyter_server\) will be started on first kernel use$/);
});
