// Where an MCP ping's time goes (not part of `npm run bench`): the same bare keep-alive HTTP client
// (bench/rawClients.ts) against (1) a plain node:http server that reads the body and answers a
// fixed JSON (the floor of HTTP on loopback in Node), (2) the product's standalone server
// (`node dist/cli.js`) answering MCP ping, and (3) its tools/call of list_notebooks on an empty
// folder; the three interleaved. `--cpu-prof DIR` writes a V8 CPU profile of the product server.
//   node --import tsx bench/pingFloor.ts [--runs 3000] [--cpu-prof /tmp/prof]
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CLI, stats } from './lib';
import { fetchMcp, rawMcp } from './rawClients';

const arg = (n: string, d: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const RUNS = Number(arg('runs', '3000'));
const PROF = arg('cpu-prof', '');
/** Extra arguments for the product server, e.g. "--log-level warn" (no line per call on stderr). */
const SERVER_ARGS = arg('server-args', '').split(' ').filter(Boolean);
/** Another build of the server (e.g. a copy of dist/cli.js from before a change), measured beside. */
const BEFORE = arg('before', '');
/** The server measured as "product" (default dist/cli.js). */
const OURS = arg('ours', CLI);

const FLOOR_SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} });
    if (m.id === undefined) return res.writeHead(202).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'mcp-session-id': 'x' });
    res.end(body);
  });
});
s.listen(0, '127.0.0.1', () => process.stderr.write('listening on http://127.0.0.1:' + s.address().port + '/mcp\\n'));
`;

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** Starts a server; `port` given: ready when /healthz answers (a log level above info prints nothing). */
function start(args: string[], port?: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const stop = () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM'))));
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(buf);
      if (m) resolve({ url: m[1], stop });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
    if (port) {
      const poll = () => fetch(`http://127.0.0.1:${port}/healthz`).then(() => resolve({ url: `http://127.0.0.1:${port}/mcp`, stop }), () => setTimeout(poll, 100));
      setTimeout(poll, 100);
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-pingfloor-'));
  mkdirSync(path.join(dir, 'empty'));
  const floor = await start(['-e', FLOOR_SERVER]);
  const port = await freePort();
  const ours = await start([...(PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : []), OURS, '--port', String(port), '--root', dir, '--offline', ...SERVER_ARGS], port);
  const a = await rawMcp(floor.url);
  const b = await rawMcp(ours.url);
  const portB = await freePort();
  const before = BEFORE ? await start([BEFORE, '--port', String(portB), '--root', dir, '--offline', ...SERVER_ARGS], portB) : undefined;
  const c = before ? await rawMcp(before.url) : undefined;
  const xs: Record<string, number[]> = { floor: [], ping: [], list: [], fetchPing: [], beforePing: [], beforeList: [], beforeFetch: [] };
  // What a fetch-based client pays, in a session of its own (bench/rawClients.ts).
  const ours2 = await fetchMcp(ours.url);
  const fetchPing = () => ours2.request('ping');
  const before2 = before ? await fetchMcp(before.url) : undefined;
  const beforeFetch = before2 ? () => before2.request('ping') : undefined;
  const time = async (k: string, fn: () => Promise<unknown>, keep: boolean) => {
    const t = performance.now();
    await fn();
    if (keep) xs[k].push(performance.now() - t);
  };
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['floor', () => a.request('ping')],
    ['ping', () => b.request('ping')],
    ['list', () => b.request('tools/call', { name: 'list_notebooks', arguments: { folder: 'empty' } })],
    ['fetchPing', fetchPing],
  ];
  if (c) calls.push(['beforeFetch', beforeFetch!], ['beforePing', () => c.request('ping')], ['beforeList', () => c.request('tools/call', { name: 'list_notebooks', arguments: { folder: 'empty' } })]);
  for (let i = -200; i < RUNS; i++) {
    // The order turns each round, so that no server always follows the same one.
    for (let k = 0; k < calls.length; k++) {
      const [key, fn] = calls[(i + 200 + k) % calls.length];
      await time(key, fn, i >= 0);
    }
  }
  a.close();
  b.close();
  await floor.stop();
  await ours.stop();
  c?.close();
  await before?.stop();
  rmSync(dir, { recursive: true, force: true });
  const f = (k: string) => {
    const s = stats(xs[k]);
    return `p50 ${s.p50.toFixed(3)} ms  p95 ${s.p95.toFixed(3)} ms`;
  };
  process.stdout.write(`bare keep-alive HTTP client, ${RUNS} of each, interleaved; load ${require('os').loadavg().map((x: number) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`  plain node:http server, fixed JSON answer   ${f('floor')}\n`);
  process.stdout.write(`  product: MCP ping                           ${f('ping')}\n`);
  process.stdout.write(`  product: list_notebooks of an empty folder  ${f('list')}\n`);
  process.stdout.write(`  product: MCP ping, fetch client            ${f('fetchPing')}\n`);
  if (c) {
    process.stdout.write(`  --before ${BEFORE}: MCP ping                ${f('beforePing')}\n`);
    process.stdout.write(`  --before: list_notebooks of an empty folder ${f('beforeList')}\n`);
    process.stdout.write(`  --before: MCP ping, fetch client           ${f('beforeFetch')}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
