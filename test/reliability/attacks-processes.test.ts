// Issue #18, items 1 and 3: what the processes we start take from the workspace and from us.
// The standalone server (the CLI as a child process, started *inside* the workspace as
// `npx jupyter-mcp` would be) with no --url, so it starts its private Debian jupyter_server on the
// first kernel call; a real MCP client over real HTTP with the bearer token.
// - Item 1: a cloned repository holding jupyter_server/__init__.py and __main__.py (each writes a
//   marker file) must not run through list_kernels (read-only, auto-approved by clients), neither
//   through the `python3 -c 'import jupyter_server'` probe nor through `python3 -m jupyter_server`;
//   kernels still work and start_kernel's kernel still runs in the workspace root.
// - Item 3: the MCP token (given as JUPYTER_MCP_AUTH_TOKEN, the README's way, and as a file named
//   by JUPYTER_MCP_AUTH_TOKEN_FILE) is in no kernel's environment, so neither execute_cell of
//   `print(os.environ)` nor a saved execute_notebook holds it; a kernel that reads the token file
//   itself gets it redacted ("***") from the result and from the saved notebook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connectClient } from '../helpers/mcp';
import { newToken, startCli, tempDir, type Cli } from '../helpers/reliability';
import { ensureJupyterInstalled } from '../helpers/jupyter';
import { writeNotebook } from '../helpers/realJupyter';

async function startInside(root: string, token: string): Promise<{ cli: Cli; client: Client }> {
  const cli = await startCli(['--port', '0', '--root', root, '--log-level', 'debug'], { cwd: root, env: { JUPYTER_MCP_AUTH_TOKEN: token } });
  return { cli, client: await connectClient(cli.url, { Authorization: `Bearer ${token}` }) };
}

describe('item 1: a repository holding jupyter_server/ (the server started inside it)', () => {
  let ws: { root: string; cleanup(): void };
  let markers: { root: string; cleanup(): void };
  let cli: Cli;
  let client: Client;

  before(async () => {
    ensureJupyterInstalled();
    ws = tempDir('jmcp-attack-repo-');
    markers = tempDir('jmcp-attack-markers-');
    // The repository's trap: a package that shadows jupyter_server when Python imports from the
    // working folder. Each file leaves a marker (outside the workspace, so the tree is not changed).
    mkdirSync(path.join(ws.root, 'jupyter_server'));
    for (const name of ['__init__', '__main__']) {
      writeFileSync(
        path.join(ws.root, 'jupyter_server', `${name}.py`),
        `import os\nopen(os.path.join(${JSON.stringify(markers.root)}, 'ran-${name}'), 'w').write(os.getcwd())\n`,
      );
    }
    ({ cli, client } = await startInside(ws.root, newToken()));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await cli?.stop();
    ws?.cleanup();
    markers?.cleanup();
  });

  test('list_kernels starts the local Jupyter without importing the workspace\'s jupyter_server', async () => {
    const r = await call(client, 'list_kernels');
    assert.equal(r.isError, false, r.text);
    assert.ok(r.structured.available_kernels.some((k: { name: string }) => k.name === 'python3'), r.text);
    // The start-up probe runs in the background: give it time to have run too.
    await new Promise((res) => setTimeout(res, 1000));
    assert.deepEqual(readdirSync(markers.root), [], 'the workspace\'s jupyter_server/ ran');
  });

  test('kernels still work; start_kernel\'s kernel runs in the workspace root', async () => {
    const k = await call(client, 'start_kernel');
    assert.equal(k.isError, false, k.text);
    const r = await call(client, 'execute_cell', { kernel_id: k.structured.kernel_id, code: 'import os; print(os.getcwd())' });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured.outputs[0].text.trim(), ws.root);
    assert.deepEqual(readdirSync(markers.root), []);
  });
});

describe('item 3: the MCP token and the processes we start', () => {
  let ws: { root: string; cleanup(): void };
  let secretDir: { root: string; cleanup(): void };
  let cli: Cli;
  let client: Client;
  const token = newToken();
  let tokenFile: string;

  before(async () => {
    ensureJupyterInstalled();
    ws = tempDir('jmcp-attack-env-');
    secretDir = tempDir('jmcp-attack-secret-');
    // The same token in a file the kernel can read (same user): JUPYTER_MCP_AUTH_TOKEN_FILE's case.
    tokenFile = path.join(secretDir.root, 'mcp-token');
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    ({ cli, client } = await startInside(ws.root, token));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await cli?.stop();
    ws?.cleanup();
    secretDir?.cleanup();
  });

  test('no kernel sees the MCP token in its environment; execute_cell and a saved execute_notebook hold none', async () => {
    const k = await call(client, 'start_kernel');
    assert.equal(k.isError, false, k.text);
    const code = 'import os\nprint({k: v for k, v in os.environ.items()})\nprint(sorted(k for k in os.environ if "JUPYTER" in k))';
    const r = await call(client, 'execute_cell', { kernel_id: k.structured.kernel_id, code });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /'PATH'/, 'the environment was printed');
    assert.ok(!r.text.includes(token), 'the token is in execute_cell\'s text');
    assert.ok(!JSON.stringify(r.structured).includes(token), 'the token is in execute_cell\'s structuredContent');
    assert.doesNotMatch(r.text, /JUPYTER_MCP_AUTH_TOKEN/);

    writeNotebook(ws.root, 'env.ipynb', [code]);
    const run = await call(client, 'execute_notebook', { path: 'env.ipynb' });
    assert.equal(run.isError, false, run.text);
    const saved = readFileSync(path.join(ws.root, 'env.ipynb'), 'utf8');
    assert.match(saved, /'PATH'/);
    assert.ok(!saved.includes(token), 'the token was saved into the notebook');
    assert.ok(!run.text.includes(token));
  });

  test('a kernel that reads the token itself gets it redacted, in the result and in the saved notebook', async () => {
    const k = await call(client, 'start_kernel');
    const code = `print("token:", open(${JSON.stringify(tokenFile)}).read().strip())`;
    const r = await call(client, 'execute_cell', { kernel_id: k.structured.kernel_id, code });
    assert.equal(r.isError, false, r.text);
    assert.ok(!r.text.includes(token) && !JSON.stringify(r.structured).includes(token), r.text);
    assert.match(r.text, /token: \*\*\*/);
    writeNotebook(ws.root, 'read-token.ipynb', [code]);
    const run = await call(client, 'execute_notebook', { path: 'read-token.ipynb' });
    assert.equal(run.isError, false, run.text);
    const saved = readFileSync(path.join(ws.root, 'read-token.ipynb'), 'utf8');
    assert.ok(!saved.includes(token), 'the token was saved into the notebook');
    assert.match(saved, /token: \*\*\*/);
    assert.ok(!cli.stderr().includes(token), 'the token is in the log');
  });
});
