// What the server advertises at initialize is what it does: log notifications at the level the
// client set (logging/setLevel), and no tools.listChanged (the list never changes in a session).
// Real SDK client, real CLI process over stdio (one ordered stream, so "not sent" can be checked
// by what arrives first after it).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { call, tempWorkspace } from '../helpers/mcp';

const BIN = path.join(__dirname, '..', '..', 'bin', 'jupyter-mcp.js');

describe('advertised capabilities', () => {
  test('logging: nothing before logging/setLevel, then the session’s lines at or above the level, tokens redacted', { timeout: 60_000 }, async () => {
    const ws = tempWorkspace(['unicode.ipynb']);
    const secret = 'jupyter-token-never-shown-3f9a';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '--stdio', '--offline', '--root', ws.root, '--token', secret],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'protocol-test', version: '1' });
    const messages: LoggingMessageNotification['params'][] = [];
    let arrived: (() => void) | undefined;
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
      arrived?.();
    });
    const next = () => new Promise<void>((r) => (messages.length ? r() : (arrived = r)));
    try {
      await client.connect(transport);
      const caps = client.getServerCapabilities();
      assert.ok(caps?.logging, 'logging is advertised');
      assert.notEqual(caps?.tools?.listChanged, true, 'the tool list never changes, so listChanged must not be promised');

      // Before any setLevel: a failing call sends nothing.
      assert.ok((await call(client, 'read_notebook', { path: 'before-level.ipynb' })).isError);
      // Level "error": a failure is logged at "warning", below it: nothing.
      await client.setLoggingLevel('error');
      assert.ok((await call(client, 'read_notebook', { path: 'below-level.ipynb' })).isError);
      // Level "warning": the failure arrives, naming the call; an ok call (info) does not.
      await client.setLoggingLevel('warning');
      await call(client, 'read_notebook', { path: 'unicode.ipynb' });
      assert.ok((await call(client, 'read_notebook', { path: `at-level-${secret}.ipynb` })).isError);
      await next();
      assert.equal(messages[0].level, 'warning');
      assert.match(String(messages[0].data), /read_notebook at-level-\*\*\*\.ipynb failed/);
      assert.ok(!String(messages[0].data).includes(secret), 'the Jupyter token is redacted');
      assert.ok(!messages.some((m) => /before-level|below-level/.test(String(m.data))), JSON.stringify(messages));

      // Level "info": ok calls are logged too.
      messages.length = 0;
      await client.setLoggingLevel('info');
      await call(client, 'read_notebook', { path: 'unicode.ipynb' });
      await next();
      assert.equal(messages[0].level, 'info');
      assert.match(String(messages[0].data), /read_notebook unicode\.ipynb ok/);
    } finally {
      await client.close();
      ws.cleanup();
    }
  });
});
