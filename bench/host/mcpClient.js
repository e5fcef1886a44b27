// Shared by the benches that run INSIDE the VS Code extension host (editorBench.js, executeBench.js):
// a minimal MCP client for the extension's own server, a condition wait, the error report. Plain CommonJS.

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A minimal MCP client over Streamable HTTP (JSON-RPC POSTs; answers come as SSE or JSON). */
async function mcpClient(url, token) {
  let session;
  let id = 0;
  const post = async (body) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
      body: JSON.stringify(body),
    });
    session = session || res.headers.get('mcp-session-id');
    const text = await res.text();
    if (!body.id && body.id !== 0) return undefined;
    const data = res.headers.get('content-type')?.includes('text/event-stream')
      ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).find((m) => m.id === body.id)
      : JSON.parse(text);
    if (!data) throw new Error(`no answer to ${body.method}: ${text.slice(0, 200)}`);
    if (data.error) throw new Error(`${body.method}: ${data.error.message}`);
    return data.result;
  };
  await post({ jsonrpc: '2.0', id: id++, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'jmcp-bench', version: '1' } } });
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    // The round trip with no tool at all (MCP ping): the floor under every tool call.
    ping: () => post({ jsonrpc: '2.0', id: id++, method: 'ping' }),
    call: async (name, args) => {
      const r = await post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } });
      if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
      return r.structuredContent;
    },
  };
}

/** Runs a bench; a failure is printed as one JMCP_BENCH_ERROR line the driver reads, then rethrown. */
function reportErrors(run) {
  return run().catch((e) => {
    console.log(`[Extension Host] JMCP_BENCH_ERROR ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' ') : String(e)}`);
    throw e;
  });
}

module.exports = { waitFor, mcpClient, reportErrors };
