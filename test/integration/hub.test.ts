// JupyterHub as a backend: a real hub (Debian's jupyterhub 3.0, npm's configurable-http-proxy,
// DummyAuthenticator, SimpleLocalProcessSpawner, jupyter_server 1.23 single-user servers), real
// MCP clients over real HTTP, real kernels. What a team relies on: a user's server with a user
// token or a narrowly scoped one, two users at once, a server the hub stops mid-session reported
// with what to do (and started again when the token may), and every wrong URL form or token
// answered with the fix instead of "is this the right URL?".
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHub, type TestHub } from '../helpers/hub';
import { call, connectClient, ok, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { JupyterServerBackend } from '../../src/kernels/jupyter';

const BIN = path.join(__dirname, '..', '..', 'bin', 'jupyter-mcp.js');

interface Session {
  server: TestServer;
  client: Client;
  close(): Promise<void>;
}

async function session(root: string, url: string, token: string, jupyterRoot?: string): Promise<Session> {
  const server = await startServer({ root, jupyter: { offline: false, url, token, ...(jupyterRoot ? { jupyterRoot } : {}) } });
  const client = await connectClient(server.url);
  return {
    server,
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

async function run(client: Client, kernelId: string, code: string): Promise<string> {
  const r = await ok(client, 'execute_cell', { kernel_id: kernelId, code, timeout: 60 });
  assert.equal(r.status, 'ok', JSON.stringify(r));
  return r.outputs.map((o: any) => (o.output_type === 'stream' ? o.text : o.data?.['text/plain'] ?? '')).join('').trim();
}

describe('JupyterHub', { timeout: 240_000 }, () => {
  let hub: TestHub;
  let ws: ReturnType<typeof tempWorkspace>;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    hub = await startHub();
    await Promise.all([hub.startServer('alice'), hub.startServer('bob')]);
    aliceToken = await hub.userToken('alice');
    bobToken = await hub.userToken('bob');
    ws = tempWorkspace(['analysis.ipynb']);
  });
  after(async () => {
    await hub?.stop();
    ws?.cleanup();
  });

  test('two users at once, each on their own server with their own token: kernels run and stay apart', async () => {
    const alice = await session(ws.root, `${hub.url}user/alice/`, aliceToken);
    const bob = await session(ws.root, `${hub.url}user/bob/`, bobToken);
    try {
      const [ka, kb] = await Promise.all([ok(alice.client, 'start_kernel', {}), ok(bob.client, 'start_kernel', {})]);
      const [wa, wb] = await Promise.all([
        run(alice.client, ka.kernel_id, 'import os; print(os.path.basename(os.getcwd()))'),
        run(bob.client, kb.kernel_id, 'import os; print(os.path.basename(os.getcwd()))'),
      ]);
      // SimpleLocalProcessSpawner starts each server in the user's own home folder.
      assert.deepEqual([wa, wb], ['alice', 'bob']);
      const la = await ok(alice.client, 'list_kernels', {});
      assert.ok(la.active_kernels.some((k: any) => k.kernel_id === ka.kernel_id || k.id === ka.kernel_id), JSON.stringify(la));
      assert.ok(!JSON.stringify(la).includes(kb.kernel_id), 'alice does not see bob’s kernel');

      // A notebook's own kernel works through the hub's proxy too (session API + websocket).
      const r = await ok(alice.client, 'execute_notebook_cell', { path: 'analysis.ipynb', cell_index: 1, timeout: 60 });
      assert.equal(r.status, 'ok', JSON.stringify(r));
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  test('a token scoped to access:servers!user=alice is enough; a token without that scope is told which scope it needs', async () => {
    const scoped = await hub.userToken('alice', ['access:servers!user=alice']);
    const s = await session(ws.root, `${hub.url}user/alice/`, scoped);
    try {
      const k = await ok(s.client, 'start_kernel', {});
      assert.equal(await run(s.client, k.kernel_id, 'print(6*7)'), '42');
    } finally {
      await s.close();
    }

    const narrow = await hub.userToken('alice', ['read:users:name!user=alice']);
    const n = await session(ws.root, `${hub.url}user/alice/`, narrow);
    try {
      const r = await call(n.client, 'start_kernel', {});
      assert.ok(r.isError);
      assert.match(r.text, /access:servers!user=alice/);
      assert.match(r.text, /hub\/token/);
      assert.doesNotMatch(r.text, /started with/, 'not the plain-Jupyter advice');
      assert.ok(!r.text.includes(narrow), 'the token is never shown');
    } finally {
      await n.close();
    }

    // Alice's token on Bob's server: named as such.
    const cross = await new JupyterServerBackend({ url: `${hub.url}user/bob/`, token: aliceToken }).probe();
    assert.match(cross?.message ?? '', /belongs to hub user alice.*user\/alice\//);
  });

  test('URL forms: the hub root, /hub/, /hub/user/NAME/ and a JupyterLab page point to /user/NAME/; ?token= in the URL is used and never shown', async () => {
    for (const form of ['', 'hub/', 'hub/home', 'hub/user/alice/', 'user/alice/lab', 'user/alice/lab/tree/x.ipynb']) {
      const backend = new JupyterServerBackend({ url: hub.url + form, token: aliceToken });
      const why = await backend.probe();
      await backend.dispose();
      assert.ok(why, `${form || '/'} is not a Jupyter server`);
      assert.match(why.message, /JupyterHub 3\.\d+\.\d+/, form);
      assert.ok(why.message.includes(`--url ${hub.url}user/alice/`), `${form || '/'}: ${why.message}`);
      assert.doesNotMatch(why.message, /is this the right URL/);
    }
    // Without a token the hub root still points to the user URL and says where to get a token.
    const anon = await new JupyterServerBackend({ url: hub.url }).probe();
    assert.match(anon?.message ?? '', /user\/NAME\/.*hub\/token/);

    // --check, as a person runs it: the URL copied with its ?token= works, the token stays hidden.
    const good = spawnSync(process.execPath, [BIN, '--check', '--url', `${hub.url}user/alice/?token=${aliceToken}`], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.ok(good.stdout.includes(`${hub.url}user/alice/`), good.stdout);
    assert.match(good.stdout, /behind JupyterHub 3\.\d+\.\d+ .*alice's server/);
    assert.ok(!(good.stdout + good.stderr).includes(aliceToken), 'token not printed');
    const root = spawnSync(process.execPath, [BIN, '--check', '--url', hub.url, '--token', aliceToken], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(root.status, 1);
    assert.ok(root.stdout.includes(`--url ${hub.url}user/alice/`), root.stdout);
  });

  test('a server the hub stops mid-session: reported with the spawn page; a token that may start it starts it; work resumes', async () => {
    const scoped = await hub.userToken('alice', ['access:servers!user=alice']);
    const limited = await session(ws.root, `${hub.url}user/alice/`, scoped);
    const full = await session(ws.root, `${hub.url}user/alice/`, aliceToken);
    try {
      const k = await ok(limited.client, 'start_kernel', {});
      assert.equal(await run(limited.client, k.kernel_id, 'print("before")'), 'before');

      await hub.stopServer('alice');

      // The access-only token may not start servers: the message names the page that does.
      const r = await call(limited.client, 'execute_cell', { kernel_id: k.kernel_id, code: 'print(1)', timeout: 30 });
      const text = r.isError ? r.text : JSON.stringify(r.structured);
      assert.match(text, /not running/, text);
      assert.ok(text.includes(`${hub.url}hub/spawn/alice`), text);
      assert.doesNotMatch(text, /jupyter_server|is this the right URL/);

      // The user's own token may: the hub starts the server again and the call says so.
      const started = await call(full.client, 'list_kernels', {});
      assert.ok(started.isError);
      assert.match(started.text, /running again/);
      assert.match(started.text, /Kernels that ran on it are gone/);

      // Both sessions work again (the old kernel is gone; a new one runs).
      const k2 = await ok(limited.client, 'start_kernel', {});
      assert.equal(await run(limited.client, k2.kernel_id, 'print("after")'), 'after');
      assert.ok(Array.isArray((await ok(full.client, 'list_kernels', {})).active_kernels));
    } finally {
      await Promise.all([limited.close(), full.close()]);
    }
  });

  test('where the kernel runs: a notebook the server does not hold gets a note (once) with the kernel’s folder; --jupyter-root makes relative paths work', async () => {
    const cell = 'import os\nprint(open("data.csv").read().strip())';
    const seed = async (client: Client) => {
      await ok(client, 'create_notebook', { path: 'where.ipynb' });
      await ok(client, 'add_cell', { path: 'where.ipynb', cell_type: 'code', source: cell });
    };

    // The workspace is a temp folder the hub's server does not hold.
    writeFileSync(path.join(ws.root, 'data.csv'), 'x,y\n1,2\n');
    const apart = await session(ws.root, `${hub.url}user/alice/`, aliceToken);
    try {
      await seed(apart.client);
      const first = await ok(apart.client, 'execute_notebook_cell', { path: 'where.ipynb', cell_index: 0, timeout: 60 });
      assert.equal(first.status, 'error', 'data.csv is not where the kernel runs');
      assert.ok(first.note, JSON.stringify(first));
      assert.ok(first.note.includes(path.join(hub.homes, 'alice')), first.note);
      assert.match(first.note, /--jupyter-root/);
      const again = await ok(apart.client, 'execute_notebook_cell', { path: 'where.ipynb', cell_index: 0, timeout: 60 });
      assert.equal(again.note, undefined, 'said once');
    } finally {
      await apart.close();
    }

    // The same machine sees the server's root (alice's home): with --jupyter-root the session
    // opens at proj/where.ipynb and the kernel starts beside the notebook.
    const proj = path.join(hub.homes, 'alice', 'proj');
    mkdirSync(proj, { recursive: true });
    writeFileSync(path.join(proj, 'data.csv'), 'x,y\n1,2\n');
    const shared = await session(proj, `${hub.url}user/alice/`, aliceToken, path.join(hub.homes, 'alice'));
    try {
      await seed(shared.client);
      const r = await ok(shared.client, 'execute_notebook_cell', { path: 'where.ipynb', cell_index: 0, timeout: 60 });
      assert.equal(r.status, 'ok', JSON.stringify(r));
      assert.equal(r.outputs[0].text.trim(), 'x,y\n1,2');
      assert.equal(r.note, undefined);
      const kernels = await ok(shared.client, 'list_kernels', {});
      assert.ok(kernels.active_kernels.some((k: any) => k.notebook === 'where.ipynb'), JSON.stringify(kernels.active_kernels));
    } finally {
      await shared.close();
    }
  });
});
