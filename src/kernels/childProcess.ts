// What every process Jupyter MCP starts (the private Jupyter server, the probe for a usable Python)
// gets, decided in one place:
// - an environment without our secrets: the MCP token (and the file naming it), the Jupyter token,
//   the VS Code window's token, and any variable whose value holds a registered secret. The Jupyter
//   server passes its environment on to every kernel, and a kernel runs whatever a notebook says
//   (`print(os.environ)`), so what is not removed here ends up in tool results and saved notebooks;
// - a working folder that holds no code: Python puts the working folder first on the import path
//   (`python -m jupyter_server` imports ./jupyter_server/ if there is one), so a process started in a
//   cloned repository would run the repository's code. The folder is private (0700) and empty.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { holdsSecret } from '../util/log';

/**
 * Variables that carry our credentials, or say where they are: none is needed by Jupyter or a
 * kernel. JUPYTER_MCP_* are all ours (the MCP token, its file, the VS Code window's token, the port
 * file that holds it); JUPYTER_TOKEN(_FILE) is the token of a Jupyter server we were given.
 */
const SECRET_NAMES = /^(JUPYTER_MCP_\w*|JUPYTER_TOKEN|JUPYTER_TOKEN_FILE)$/i;

/** Whether a variable must not reach a process we start. */
export function isSecretVariable(name: string, value: string | undefined): boolean {
  return SECRET_NAMES.test(name) || (value !== undefined && holdsSecret(value));
}

/**
 * The environment for a process we start: ours without the secret variables, plus `extra`.
 * `from` is the environment to start from (the tests give one).
 */
export function childEnv(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) if (!isSecretVariable(name, value)) env[name] = value;
  return { ...env, ...extra };
}

let privateDir: string | undefined;

/**
 * An empty folder only this user can write (made once per process, removed at exit): the working
 * folder of short-lived processes such as `python3 -c 'import jupyter_server'`, so that what they
 * import comes from the interpreter's own path, never from the folder the server was started in.
 */
export function privateCwd(): string {
  if (!privateDir) {
    const dir = mkdtempSync(join(tmpdir(), 'jupyter-mcp-cwd-'));
    privateDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return privateDir;
}
