// Settings for the standalone server: command line > environment > config file > defaults.
// The config file accepts the seed's shape ({"jupyterServer": {"baseUrl", "token"}}) plus the
// flat keys documented in docs/CONFIGURATION.md ("Configuration file").
//
// Trust: a ./config.json found in the folder the server starts in may come from a cloned
// repository, so it cannot change what guards the user (root, host, auth, origins, hosts) and its
// Jupyter URL is used only with a token from the same file: the user's own token is only ever
// sent to the URL it was given with. A file named with --config is the user's choice and may set
// everything. Every setting records where it came from (Settings.sources), printed at start.
import { readFileSync, existsSync, statSync } from 'fs';
import * as path from 'path';
import { parseJupyterUrl } from './kernels/jupyter';
import { redact } from './util/log';
import type { ResultShape } from './tools/tool';

export interface Settings {
  host: string;
  port: number;
  root: string;
  stdio: boolean;
  authToken?: string;
  allowedOrigins: string[];
  /** Extra Host header values accepted (proxies, port forwards): "name" (any port) or "name:port". */
  allowedHosts?: string[];
  jupyter: {
    url?: string;
    token?: string;
    offline: boolean;
    /** Start a local Jupyter server when no URL is configured (standalone only). */
    startLocal: boolean;
    /** The --url server's root folder as this machine sees it (shared filesystem), if given. */
    jupyterRoot?: string;
  };
  /** timeoutMs: per-cell time-out; maxWaitMs: longest wait before an execution tool answers "running". */
  execution: { timeoutMs: number; maxWaitMs?: number };
  /** maxResultCharsSet: the budget was given (flag, environment, config file), so it applies to every client. */
  limits: { maxOutputChars: number; maxImageBytes: number; maxBodyBytes: number; maxResultChars: number; maxResultCharsSet: boolean; resultShape: ResultShape };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  configFile?: string;
  check: boolean;
  /**
   * Agent changes (src/agents/): where checkpoints are kept (default: a folder per workspace under
   * ${XDG_CACHE_HOME:-~/.cache}/jupyter-mcp/checkpoints) and whether provenance also goes into cell metadata.
   */
  agents?: { checkpointDir?: string; provenanceInMetadata?: boolean };
  /** Where each security-relevant setting came from ("--port", "JUPYTER_TOKEN", "config file …", "default"). */
  sources?: Record<string, string>;
  /** Things the person starting the server should know (a secret on the command line, an ignored key). */
  warnings?: string[];
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 3000,
  timeoutSeconds: 300,
  maxOutputChars: 20_000,
  maxWaitSeconds: 300,
  maxImageBytes: 512 * 1024,
  maxBodyMb: 100,
  maxResultChars: 40_000,
  resultShape: 'auto' as ResultShape,
};

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `jupyter-mcp — MCP server for Jupyter notebooks (standalone; the VS Code extension hosts the same server)

Usage: jupyter-mcp [options]        (or: npm start -- [options])

Server
  --port N               HTTP port (default 3000; 0 picks a free one). Endpoints: /mcp (Streamable
                         HTTP, also at /), /sse + /messages (legacy SSE), /healthz
  --host ADDR            Address to bind (default 127.0.0.1; IPv6 such as ::1 too). A non-loopback
                         address needs an auth token (--auth-token-file, JUPYTER_MCP_AUTH_TOKEN)
  --stdio                Speak MCP over stdin/stdout instead of HTTP (for clients that spawn the server)
  --auth-token-file F    Require "Authorization: Bearer <first line of F>" on every request
                         (or env JUPYTER_MCP_AUTH_TOKEN; --auth-token T works but shows T in ps)
  --allow-origin O       Also accept requests from this browser Origin, with CORS headers (repeatable)
  --allow-host H         Also accept this Host header: "name" (any port) or "name:port", for a proxy
                         or a port forward such as ssh -L 9000:127.0.0.1:3000 (repeatable)
  --root DIR             Workspace root: notebook paths are relative to it and cannot leave it (default: cwd)
  --config FILE          JSON config file. Without it, ./config.json is read when it holds Jupyter MCP
                         settings, but it cannot set root, host, auth, origins or hosts, and its
                         Jupyter URL is used only with the token from the same file

Jupyter
  --url URL              Jupyter server URL, e.g. http://localhost:8888 (env JUPYTER_SERVER_URL)
  --token-file F         Jupyter server token, first line of F (or env JUPYTER_TOKEN; --token T and
                         ?token=T in --url work but show T in ps). Only sent to the URL given with it
  --jupyter-root DIR     The --url server's root folder as seen from here, when it shares this
                         filesystem: kernels then start beside notebooks (relative paths work)
  --offline [true|false] Notebook tools only; kernel tools answer "offline" (no connection attempt)
  --no-local-jupyter     Without --url, do not start a local Jupyter server
  --timeout S            Default execution time-out in seconds (default 300); tools accept "timeout"
  --max-wait S           Longest an execution call waits before answering "running" with a run_id
                         (default 300; per-client defaults below it: 50 s for 60 s clients)
  --check                Test the Jupyter connection (start a kernel, run a line, stop it) and exit

Output
  --max-result-chars N   What the model reads from one tool result, in UTF-8 bytes, for every client
                         (default: per client, VS Code 8000, Cline 8000, others 40000); larger data
                         is paged and the result says the next call (env JUPYTER_MCP_MAX_RESULT_CHARS)
  --result-shape S       auto | structured | text (default auto: picked per client at initialize);
                         text: no structuredContent, for clients that show the model only the text
  --max-output-chars N   Text returned to the model per output (default 20000; notebooks keep all)
  --max-image-kb N       Largest image returned to the model; larger ones are downscaled (default 512)
  --max-body-mb N        Largest request accepted (default 100)

Agent changes
  --checkpoint-dir DIR   Where checkpoints of notebooks before agents' changes are kept (env
                         JUPYTER_MCP_CHECKPOINT_DIR; default \${XDG_CACHE_HOME:-~/.cache}/jupyter-mcp/checkpoints)
  --provenance-metadata  Also record which agent changed a cell in its metadata ("jupyter_mcp")
  --log-level L          debug | info | warn | error (default info); logs go to stderr

  -h, --help             Show this help
  -v, --version          Show the version
`;

const BOOLEAN_FLAGS = new Set(['stdio', 'offline', 'check', 'no-local-jupyter', 'help', 'version', 'provenance-metadata']);
const VALUE_FLAGS = new Set([
  'port', 'host', 'root', 'config', 'url', 'token', 'auth-token', 'allow-origin', 'timeout', 'max-wait',
  'max-output-chars', 'max-result-chars', 'max-image-kb', 'max-body-mb', 'log-level',
  'token-file', 'auth-token-file', 'allow-host', 'jupyter-root', 'result-shape', 'checkpoint-dir',
]);
/** Options that may be given more than once; their values accumulate. */
const REPEATABLE = new Set(['allow-origin', 'allow-host']);
const ALIASES: Record<string, string> = { h: 'help', v: 'version', p: 'port' };

export type ParsedArgs = Record<string, string | boolean | string[]>;

/** Parses argv; "--offline", "--offline true", "--offline=false" all work (the seed uses the 2nd). */
export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`Unexpected argument "${a}". Run with --help to see the options.`);
    const name = ALIASES[m[1]] ?? m[1];
    if (BOOLEAN_FLAGS.has(name)) {
      let v: string | undefined = m[2];
      if (v === undefined && /^(true|false|yes|no|1|0)$/i.test(argv[i + 1] ?? '')) v = argv[++i];
      out[name] = v === undefined ? true : /^(true|yes|1)$/i.test(v);
      if (v !== undefined && !/^(true|false|yes|no|1|0)$/i.test(v)) throw new UsageError(`--${name} takes true or false, not "${v}".`);
    } else if (VALUE_FLAGS.has(name)) {
      const v = m[2] ?? argv[++i];
      if (v === undefined || (m[2] === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value. Run with --help to see the options.`);
      if (REPEATABLE.has(name)) out[name] = [...((out[name] as string[]) ?? []), v];
      else out[name] = v;
    } else {
      throw new UsageError(`Unknown option "--${m[1]}". Run with --help to see the options.`);
    }
  }
  return out;
}

function num(name: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (typeof v === 'string' && v.trim() === '')) {
    throw new UsageError(`${name} must be a number between ${min} and ${max}, not ${JSON.stringify(v)}.`);
  }
  return n;
}

interface FileConfig {
  jupyterServer?: { baseUrl?: string; url?: string; token?: string; offline?: boolean };
  port?: number;
  host?: string;
  root?: string;
  offline?: boolean;
  authToken?: string;
  allowedOrigins?: string[];
  allowedHosts?: string[];
  timeout?: number;
  maxWait?: number;
  maxOutputChars?: number;
  maxImageKb?: number;
  maxBodyMb?: number;
  maxResultChars?: number;
  resultShape?: ResultShape;
  logLevel?: Settings['logLevel'];
  startLocalJupyter?: boolean;
}

const FILE_KEYS = ['jupyterServer', 'port', 'host', 'root', 'offline', 'authToken', 'allowedOrigins', 'allowedHosts', 'timeout', 'maxWait', 'maxOutputChars', 'maxResultChars', 'resultShape', 'maxImageKb', 'maxBodyMb', 'logLevel', 'startLocalJupyter'];
/** Keys a config file that was not named with --config cannot set: they guard the user. */
const GUARD_KEYS = ['root', 'host', 'authToken', 'allowedOrigins', 'allowedHosts'] as const;

function loadConfigFile(file: string, explicit: boolean): FileConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!explicit) return undefined;
    throw new UsageError(`Cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Config file ${file} is not valid JSON: ${(e as Error).message}.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`Config file ${file} must hold a JSON object.`);
  const keys = Object.keys(value);
  // ./config.json is only ours if it holds our keys: an unrelated config.json is left alone.
  if (!explicit && !keys.some((k) => FILE_KEYS.includes(k))) return undefined;
  return value as FileConfig;
}

export function resolveSettings(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings & { help: boolean; version: boolean } {
  const a = parseArgs(argv);
  const explicitConfig = typeof a.config === 'string';
  const configFile = explicitConfig ? path.resolve(cwd, a.config as string) : path.join(cwd, 'config.json');
  const fc = (existsSync(configFile) || explicitConfig ? loadConfigFile(configFile, explicitConfig) : undefined) ?? {};
  const configDir = path.dirname(configFile);
  const fileSource = explicitConfig ? `config file ${configFile}` : `${configFile} (found in the start folder)`;
  const sources: Record<string, string> = {};
  const warnings: string[] = [];
  if (!explicitConfig) {
    for (const key of GUARD_KEYS) {
      if (fc[key] === undefined) continue;
      warnings.push(`${configFile} sets "${key}": ignored. A config file found in the start folder (it may come from a cloned repository) cannot change root, host, auth, origins or hosts; pass --config ${configFile} to use it.`);
      delete fc[key];
    }
  }
  /** The first defined, non-empty candidate; records its source under `key`. */
  const pick = <T>(key: string, candidates: Array<[T | undefined, string]>): T | undefined => {
    for (const [value, source] of candidates) {
      if (value === undefined || value === '') continue;
      sources[key] = source;
      return value;
    }
    sources[key] = 'default';
    return undefined;
  };

  const port = num('--port', pick<unknown>('port', [[a.port, '--port'], [env.JUPYTER_MCP_PORT, 'JUPYTER_MCP_PORT'], [fc.port, fileSource]]) ?? DEFAULTS.port, 0, 65535);
  const host = String(pick('host', [[a.host, '--host'], [env.JUPYTER_MCP_HOST, 'JUPYTER_MCP_HOST'], [fc.host, fileSource]]) ?? DEFAULTS.host);
  const rootGiven = pick('root', [[a.root as string | undefined, '--root'], [env.JUPYTER_MCP_ROOT, 'JUPYTER_MCP_ROOT'], [fc.root ? path.resolve(configDir, fc.root) : undefined, fileSource]]);
  if (!rootGiven) sources.root = 'default (the start folder)';
  const root = path.resolve(cwd, rootGiven ?? cwd);
  if (!existsSync(root)) throw new UsageError(`Workspace root ${root} does not exist: pass an existing folder with --root.`);
  const offlineRaw = a.offline ?? envBool(env.JUPYTER_MCP_OFFLINE) ?? fc.offline ?? fc.jupyterServer?.offline ?? false;
  const logLevel = String(a['log-level'] ?? env.JUPYTER_MCP_LOG_LEVEL ?? fc.logLevel ?? 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, not "${logLevel}".`);
  const resultShape = String(a['result-shape'] ?? env.JUPYTER_MCP_RESULT_SHAPE ?? fc.resultShape ?? DEFAULTS.resultShape);
  if (!['auto', 'structured', 'text'].includes(resultShape)) throw new UsageError(`--result-shape must be auto, structured or text, not "${resultShape}".`);

  const authToken = pickSecret('auth token', 'authToken', {
    flag: 'auth-token', env: 'JUPYTER_MCP_AUTH_TOKEN', fromFile: fc.authToken, fileSource,
  }, a, env, cwd, sources, warnings, pick);
  let jupyterToken = pickSecret('Jupyter token', 'jupyterToken', {
    flag: 'token', env: 'JUPYTER_TOKEN', fromFile: fc.jupyterServer?.token, fileSource,
  }, a, env, cwd, sources, warnings, pick);

  let url = pick('jupyterUrl', [[a.url as string | undefined, '--url'], [env.JUPYTER_SERVER_URL, 'JUPYTER_SERVER_URL'], [fc.jupyterServer?.baseUrl ?? fc.jupyterServer?.url, fileSource]]);
  if (url !== undefined) {
    let u: URL;
    try {
      u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new UsageError(`--url must be an http(s) URL like http://localhost:8888, not "${redact(url)}".`);
    }
    if (u.username || u.password) {
      throw new UsageError(
        `The Jupyter URL ${redact(url)} (from ${sources.jupyterUrl}) holds a user name and password: they are not sent (Jupyter authenticates with its token) and would show in logs. ` +
          'Remove them from the URL and give the Jupyter token with JUPYTER_TOKEN or --token-file.',
      );
    }
    if (sources.jupyterUrl === '--url' && /[?&]token=/i.test(u.search)) {
      warnings.push('--url holds "?token=": every local user can read the command line (ps). Give the token with JUPYTER_TOKEN or --token-file instead.');
    }
    // A token is only ever sent to the URL it was given with: a URL from a config file goes with
    // that file's token, never with the user's own token from the command line or environment.
    if (sources.jupyterUrl === fileSource && jupyterToken !== undefined && sources.jupyterToken !== fileSource) {
      const why = `${configFile} sets the Jupyter URL ${redact(url)} but the Jupyter token comes from ${sources.jupyterToken}: a token is only sent to the URL it was given with.`;
      if (explicitConfig) throw new UsageError(`${why} Put the token in the same file ("jupyterServer": {"token": …}), or give the URL with --url / JUPYTER_SERVER_URL.`);
      warnings.push(`${why} The file's URL is ignored; give it with --url, or pass --config ${configFile} with the token in it.`);
      url = undefined;
      sources.jupyterUrl = 'default';
    }
    // URLs copied from `jupyter server list` or a browser carry ?token=T: the token is used (when
    // none is given separately) and never kept in the URL, which is shown in logs.
    if (url !== undefined) {
      const parsed = parseJupyterUrl(url);
      url = parsed.baseUrl;
      if (jupyterToken === undefined && parsed.token !== undefined) {
        jupyterToken = parsed.token;
        sources.jupyterToken = `${sources.jupyterUrl} (?token=)`;
      }
    }
  }
  let jupyterRoot: string | undefined;
  if (typeof a['jupyter-root'] === 'string') {
    jupyterRoot = path.resolve(cwd, a['jupyter-root']);
    if (!existsSync(jupyterRoot)) throw new UsageError(`--jupyter-root ${jupyterRoot} does not exist: pass the Jupyter server's root folder as this machine sees it (a shared or mounted folder).`);
    const inside = path.relative(jupyterRoot, root);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new UsageError(`--root ${root} is not inside --jupyter-root ${jupyterRoot}: the Jupyter server could not open these notebooks. Pass the folder that holds the workspace (the server's root as seen from here).`);
    }
  }

  const allowedHosts = [
    ...((a['allow-host'] as string[] | undefined) ?? []),
    ...(env.JUPYTER_MCP_ALLOW_HOSTS ? env.JUPYTER_MCP_ALLOW_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) : []),
    ...(fc.allowedHosts ?? []),
  ].map((h) => h.toLowerCase());
  for (const h of allowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h)) throw new UsageError(`--allow-host takes a host name or address, optionally with :port (e.g. localhost:9000 or mcp.example.internal), not "${h}".`);
  }
  sources.allowedHosts = a['allow-host'] ? '--allow-host' : env.JUPYTER_MCP_ALLOW_HOSTS ? 'JUPYTER_MCP_ALLOW_HOSTS' : fc.allowedHosts ? fileSource : 'default';
  sources.allowedOrigins = a['allow-origin'] ? '--allow-origin' : fc.allowedOrigins ? fileSource : 'default';

  const maxResultChars = pick<unknown>('maxResultChars', [[a['max-result-chars'], '--max-result-chars'], [env.JUPYTER_MCP_MAX_RESULT_CHARS, 'JUPYTER_MCP_MAX_RESULT_CHARS'], [fc.maxResultChars, fileSource]]);

  const settings: Settings & { help: boolean; version: boolean } = {
    host,
    port,
    root,
    stdio: a.stdio === true,
    authToken,
    allowedOrigins: [...((a['allow-origin'] as string[] | undefined) ?? []), ...(fc.allowedOrigins ?? [])].map((o) => o.toLowerCase()),
    allowedHosts,
    jupyter: {
      url,
      token: jupyterToken,
      offline: offlineRaw === true,
      startLocal: a['no-local-jupyter'] !== true && fc.startLocalJupyter !== false,
      ...(jupyterRoot ? { jupyterRoot } : {}),
    },
    execution: {
      timeoutMs: num('--timeout', a.timeout ?? fc.timeout ?? DEFAULTS.timeoutSeconds, 1, 86_400) * 1000,
      maxWaitMs: num('--max-wait', a['max-wait'] ?? fc.maxWait ?? DEFAULTS.maxWaitSeconds, 0, 86_400) * 1000,
    },
    limits: {
      maxOutputChars: num('--max-output-chars', a['max-output-chars'] ?? fc.maxOutputChars ?? DEFAULTS.maxOutputChars, 200, 10_000_000),
      maxImageBytes: num('--max-image-kb', a['max-image-kb'] ?? fc.maxImageKb ?? DEFAULTS.maxImageBytes / 1024, 1, 100_000) * 1024,
      maxBodyBytes: num('--max-body-mb', a['max-body-mb'] ?? fc.maxBodyMb ?? DEFAULTS.maxBodyMb, 1, 2048) * 1024 * 1024,
      // Below 4,000 a notebook page could not hold one cell's outline and the paging hint. Not
      // given: each client gets its own budget (src/server/clientBudgets.ts), others this default.
      maxResultChars: num('--max-result-chars', maxResultChars ?? DEFAULTS.maxResultChars, 4_000, 10_000_000),
      maxResultCharsSet: maxResultChars !== undefined,
      resultShape: resultShape as ResultShape,
    },
    logLevel: logLevel as Settings['logLevel'],
    // Not from a config file: one found in the start folder may come from a cloned repository,
    // and checkpoints hold the content of every notebook an agent changes.
    agents: {
      ...(typeof a['checkpoint-dir'] === 'string' || env.JUPYTER_MCP_CHECKPOINT_DIR
        ? { checkpointDir: path.resolve(cwd, (a['checkpoint-dir'] as string | undefined) ?? env.JUPYTER_MCP_CHECKPOINT_DIR!) }
        : {}),
      provenanceInMetadata: a['provenance-metadata'] === true || envBool(env.JUPYTER_MCP_PROVENANCE_METADATA) === true,
    },
    configFile: Object.keys(fc).length ? configFile : undefined,
    check: a.check === true,
    help: a.help === true,
    version: a.version === true,
    sources,
    warnings,
  };
  return settings;
}

/**
 * A secret from, in order: --NAME (warned: visible in ps), --NAME-file, the environment variable,
 * ENV_FILE (a file named in the environment), the config file.
 */
function pickSecret(
  label: string,
  key: string,
  spec: { flag: string; env: string; fromFile: string | undefined; fileSource: string },
  a: ParsedArgs,
  env: NodeJS.ProcessEnv,
  cwd: string,
  sources: Record<string, string>,
  warnings: string[],
  pick: <T>(key: string, candidates: Array<[T | undefined, string]>) => T | undefined,
): string | undefined {
  const inline = a[spec.flag] as string | undefined;
  const fileArg = a[`${spec.flag}-file`] as string | undefined;
  if (inline !== undefined && fileArg !== undefined) throw new UsageError(`Give the ${label} once: --${spec.flag} or --${spec.flag}-file, not both.`);
  if (inline !== undefined) {
    warnings.push(`The ${label} was given with --${spec.flag}: every local user can read it in the process list (ps) and npm prints the command line. Use ${spec.env}=… in the environment or --${spec.flag}-file FILE instead.`);
  }
  const envFile = env[`${spec.env}_FILE`];
  return pick(key, [
    [inline, `--${spec.flag}`],
    [fileArg === undefined ? undefined : readSecretFile(fileArg, `--${spec.flag}-file`, cwd, warnings), `--${spec.flag}-file ${path.resolve(cwd, fileArg ?? '')}`],
    [env[spec.env], spec.env],
    [envFile ? readSecretFile(envFile, `${spec.env}_FILE`, cwd, warnings) : undefined, `${spec.env}_FILE ${path.resolve(cwd, envFile ?? '')}`],
    [spec.fromFile, spec.fileSource],
  ]);
}

/** The first line of a secret file, trimmed; refuses an unreadable or empty file. */
function readSecretFile(file: string, option: string, cwd: string, warnings: string[]): string {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${option} ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Give a file holding the token on its first line.`);
  }
  const value = text.split(/\r?\n/)[0].trim();
  if (!value) throw new UsageError(`${option} ${abs} is empty: write the token on its first line.`);
  try {
    const mode = statSync(abs).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warnings.push(`${option} ${abs} can be read by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${abs}.`);
    }
  } catch {
    // The file was just read; a failing stat only loses the warning.
  }
  return value;
}

/** A URL for messages: user:password@ and ?token= hidden. */
/** One line per setting that guards the user, with where it came from (printed at start). */
export function describeSources(s: Settings): string {
  const src = (k: string) => s.sources?.[k] ?? 'default';
  const parts = [
    `root ${s.root} (${src('root')})`,
    ...(s.stdio ? ['stdio'] : [`host ${s.host} (${src('host')})`, `port ${s.port} (${src('port')})`]),
    `auth token ${s.authToken ? `set (${src('authToken')})` : 'none'}`,
    `Jupyter URL ${s.jupyter.offline ? 'none (offline)' : s.jupyter.url ? `${redact(s.jupyter.url)} (${src('jupyterUrl')})` : s.jupyter.startLocal ? 'a local server started on first use' : 'none'}`,
    `Jupyter token ${s.jupyter.token && s.jupyter.url ? `set (${src('jupyterToken')})` : 'none'}`,
  ];
  if (s.allowedOrigins.length) parts.push(`allowed origins ${s.allowedOrigins.join(', ')} (${src('allowedOrigins')})`);
  if (s.allowedHosts?.length) parts.push(`allowed hosts ${s.allowedHosts.join(', ')} (${src('allowedHosts')})`);
  return `settings: ${parts.join('; ')}`;
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return /^(true|yes|1)$/i.test(v);
}
