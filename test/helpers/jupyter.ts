// A real Jupyter server for tests: Debian's jupyter_server 1.23 started by the product's own
// launcher (own config/data/runtime/IPython/matplotlib dirs, free port, random token, ready on
// /api/status). `nodelay` patches the server to set TCP_NODELAY on kernel websockets, to measure
// the client-side Nagle fix against a server that has no Nagle stall.
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startLocalJupyter } from '../../src/kernels/localServer';

export const PYTHON = '/usr/bin/python3';

// @jupyterlab/services prints the Jupyter server's Python traceback (console.error of an array of
// "  File …" lines) whenever a REST call fails, e.g. when a test restarts a kernel it killed on
// purpose. The product routes that console output to its logger (debug level); tests that run the
// library in-process would print it raw, so it is folded into one line here
// (JUPYTER_MCP_TEST_VERBOSE=1 shows it whole).
if (process.env.JUPYTER_MCP_TEST_VERBOSE !== '1') {
  const error = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const tb = args.length === 1 && Array.isArray(args[0]) && args[0].some((l) => typeof l === 'string' && /^\s*File "/.test(l));
    if (tb) error(`[jupyter server traceback: ${(args[0] as unknown[]).length} frames, folded; JUPYTER_MCP_TEST_VERBOSE=1 shows them]`);
    else error(...args);
  };
}
const MODULES = 'import jupyter_server, ipykernel, matplotlib, pandas';
// pandas and R's IRkernel (kernelspec "ir"): the kernel inspection tests (as scripts/install-jupyter.js).
const PACKAGES = ['jupyter-server', 'python3-ipykernel', 'python3-matplotlib', 'python3-numpy', 'python3-pandas', 'python3-nbconvert', 'r-cran-irkernel'];
const IR_KERNELSPEC = '/usr/share/jupyter/kernels/ir/kernel.json';

/** Installs the Debian packages once, only if the modules do not import (idempotent). */
export function ensureJupyterInstalled(): void {
  if (spawnSync(PYTHON, ['-c', MODULES], { stdio: 'ignore' }).status === 0 && existsSync(IR_KERNELSPEC)) return;
  // scripts/apt.js waits while another apt-get or dpkg holds the lock instead of failing at once.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { aptGet } = require('../../scripts/apt.js') as { aptGet(args: string[], opts?: { echo?: boolean }): { status: number | null; output: string } };
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...PACKAGES]]) {
    const r = aptGet(args, { echo: false });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status}):\n${r.output.split('\n').slice(-10).join('\n')}`);
  }
  if (spawnSync(PYTHON, ['-c', MODULES], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${PYTHON} still cannot ${MODULES} after installing ${PACKAGES.join(' ')}`);
  }
}

/** Test-only server config: TCP_NODELAY on every kernel websocket (jupyter_server 1.x never sets it). */
const NODELAY_CONFIG = `
from jupyter_server.services.kernels.handlers import ZMQChannelsHandler
_jmcp_open = ZMQChannelsHandler.open
def _jmcp_nodelay_open(self, *args, **kwargs):
    self.set_nodelay(True)
    return _jmcp_open(self, *args, **kwargs)
ZMQChannelsHandler.open = _jmcp_nodelay_open
`;

export interface TestJupyter {
  url: string;
  token: string;
  rootDir: string;
  pid: number;
  /** Stops the server (and its kernels) and removes the root dir unless it was given. */
  stop(): Promise<void>;
}

export async function startJupyterServer(opts: { nodelay?: boolean; rootDir?: string } = {}): Promise<TestJupyter> {
  ensureJupyterInstalled();
  const rootDir = opts.rootDir ?? mkdtempSync(path.join(tmpdir(), 'jmcp-jupyter-root-'));
  const server = await startLocalJupyter({
    rootDir,
    pythons: [PYTHON],
    extraConfigPy: opts.nodelay ? NODELAY_CONFIG : undefined,
  });
  return {
    url: server.url,
    token: server.token,
    rootDir,
    pid: server.pid,
    stop: async () => {
      await server.stop();
      if (!opts.rootDir) rmSync(rootDir, { recursive: true, force: true });
    },
  };
}
