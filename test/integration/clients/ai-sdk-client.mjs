// The Vercel AI SDK's MCP client (@ai-sdk/mcp 2.x, Node >= 22), run on Node 24 by protocol.test.ts:
// connects to the URL in argv[2], lists and calls tools, and prints what it saw as one JSON line.
// The package is resolved from the folder in AI_SDK_DIR (test/helpers/node24.ts installs it there).
import { createRequire } from 'module';
import * as path from 'path';
import { pathToFileURL } from 'url';

const require = createRequire(path.join(process.env.AI_SDK_DIR, 'package.json'));
const { createMCPClient } = await import(pathToFileURL(require.resolve('@ai-sdk/mcp')).href);

const url = process.argv[2];
const statuses = [];
const rpcs = [];
const errors = [];
const recordingFetch = async (input, init) => {
  const res = await fetch(input, init);
  statuses.push(`${init?.method ?? 'GET'} ${res.status}`);
  try {
    rpcs.push(JSON.parse(String(init?.body ?? '')).method);
  } catch {
    // GET / DELETE: no body.
  }
  return res;
};
let client;
try {
  client = await createMCPClient({ transport: { type: 'http', url, fetch: recordingFetch }, onUncaughtError: (e) => errors.push(String(e)) });
  const tools = Object.keys(await client.tools());
  const listed = (await client.listTools()).tools.length;
  process.stdout.write(JSON.stringify({ rpcs, statuses, errors, tools, listed }) + '\n');
} finally {
  await client?.close();
}
