// Standalone server: `jupyter-mcp` / `npm start`. Same core and tools as the extension, no vscode.
import { resolveSettings, describeSources, HELP, UsageError } from './config';
import { createCore } from './core';
import { createMcpServer, SERVER_VERSION } from './server/mcpServer';
import { startHttpServer, HttpStartError } from './server/http';
import { serveStdio } from './server/stdio';
import { bufferedStderr, createStreamLogger, registerSecret, routeConsoleToStderr } from './util/log';

/** The logger's buffered stderr, once made: flushed before any direct write to stderr. */
let stderrSink: { flush(): void } | undefined;

async function main(argv: string[]): Promise<number> {
  // Nothing may reach stdout before the logger exists: in --stdio mode stdout is the protocol.
  routeConsoleToStderr();
  let settings;
  try {
    settings = resolveSettings(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`jupyter-mcp: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (settings.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (settings.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    return 0;
  }
  registerSecret(settings.authToken);
  registerSecret(settings.jupyter.token);
  // Lines go out after the turn that logged them, never before a call's answer (util/log.ts).
  const sink = bufferedStderr();
  stderrSink = sink;
  const log = createStreamLogger(settings.logLevel, sink.write);
  // Library chatter (e.g. @jupyterlab/services' websocket debug lines) goes through the logger,
  // redacted, and shows at --log-level debug.
  routeConsoleToStderr(log);
  // The last resort: no input from a Jupyter server, a proxy or the network may end every session.
  // The paths that decode such input catch their own errors (kernels/wire.ts); whatever still
  // escapes is logged and the server goes on serving. (The extension installs no such handler:
  // it would swallow other extensions' errors in the shared extension host.)
  process.on('uncaughtException', (e) => log.error(`unexpected error; the server keeps serving: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection; the server keeps serving: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  for (const w of settings.warnings ?? []) log.warn(w);
  // Where each guarding setting came from, so a surprise (a config file in the start folder, an
  // environment variable left set) shows before any client connects.
  log.info(describeSources(settings));

  if (settings.check) {
    const { runConnectionCheck } = await import('./kernels/check');
    const ok = await runConnectionCheck(settings, (line: string) => process.stdout.write(line + '\n'));
    return ok ? 0 : 1;
  }

  const core = await createCore(settings, log);
  log.info(`checkpoints of agents' changes: ${core.agents.checkpointDir}`);
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.race([core.dispose(), new Promise((r) => setTimeout(r, 5000).unref())]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  if (settings.stdio) {
    const { closed } = await serveStdio(createMcpServer(core.context));
    log.info(`Jupyter MCP ${SERVER_VERSION} on stdio; workspace root ${settings.root}`);
    await closed;
    await stop(0);
    return 0;
  }

  try {
    const http = await startHttpServer({
      host: settings.host,
      port: settings.port,
      authToken: settings.authToken,
      allowedOrigins: settings.allowedOrigins,
      allowedHosts: settings.allowedHosts,
      maxBodyBytes: settings.limits.maxBodyBytes,
      createServer: () => createMcpServer(core.context),
      log,
    });
    // One line on stderr a person (or a test) can read: where to connect.
    const everywhere = http.boundAddress === '0.0.0.0' || http.boundAddress === '::';
    log.info(`Jupyter MCP ${SERVER_VERSION} listening on ${http.url} (also ${http.url.replace(/\/mcp$/, '/')} and legacy SSE at /sse)${everywhere ? `; bound to ${http.boundAddress}: every interface of this machine, port ${http.port}` : ''}; workspace root ${settings.root}${settings.authToken ? '; bearer token required' : ''}`);
    process.on('SIGINT', () => void http.close());
    process.on('SIGTERM', () => void http.close());
  } catch (e) {
    if (e instanceof HttpStartError) {
      stderrSink?.flush();
      process.stderr.write(`jupyter-mcp: ${e.message}\n`);
      await core.dispose();
      return 1;
    }
    throw e;
  }
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    stderrSink?.flush();
    process.stderr.write(`jupyter-mcp: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
