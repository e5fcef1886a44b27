// Settings for the standalone server: command line > environment > config file > defaults.
// The config file accepts the seed's shape ({"jupyterServer": {"baseUrl", "token"}}) plus the
// flat keys documented in README ("Configuration file").
import { readFileSync, existsSync } from 'fs';
import * as path from 'path';
import type { ResultShape } from './tools/tool';

export interface Settings {
  host: string;
  port: number;
  root: string;
  stdio: boolean;
  authToken?: string;
  allowedOrigins: string[];
  jupyter: {
    url?: string;
    token?: string;
    offline: boolean;
    /** Start a local Jupyter server when no URL is configured (standalone only). */
    startLocal: boolean;
  };
  execution: { timeoutMs: number };
  limits: { maxOutputChars: number; maxImageBytes: number; maxBodyBytes: number; maxResultChars: number; resultShape: ResultShape };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  configFile?: string;
  check: boolean;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 3000,
  timeoutSeconds: 300,
  maxOutputChars: 20_000,
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
  --host ADDR            Address to bind (default 127.0.0.1). A non-loopback address needs --auth-token
  --stdio                Speak MCP over stdin/stdout instead of HTTP (for clients that spawn the server)
  --auth-token T         Require "Authorization: Bearer T" on every request (env JUPYTER_MCP_AUTH_TOKEN)
  --allow-origin O       Also accept requests with this browser Origin (repeatable)
  --root DIR             Workspace root: notebook paths are relative to it and cannot leave it (default: cwd)
  --config FILE          JSON config file (default: ./config.json when it holds Jupyter MCP settings)

Jupyter
  --url URL              Jupyter server URL, e.g. http://localhost:8888 (env JUPYTER_SERVER_URL)
  --token T              Jupyter server token (env JUPYTER_TOKEN)
  --offline [true|false] Notebook tools only; kernel tools answer "offline" (no connection attempt)
  --no-local-jupyter     Without --url, do not start a local Jupyter server
  --timeout S            Default execution time-out in seconds (default 300); tools accept "timeout"
  --check                Test the Jupyter connection (start a kernel, run a line, stop it) and exit

Output
  --max-result-chars N   What the model reads from one tool result, in every client's view (default
                         40000 ≈ 10k tokens); larger data is paged and the result says the next call
  --result-shape S       auto | structured | text (default auto: picked per client at initialize);
                         text: no structuredContent, for clients that show the model only the text
  --max-output-chars N   Text returned to the model per output (default 20000; notebooks keep all)
  --max-image-kb N       Largest image returned to the model; larger ones are downscaled (default 512)
  --max-body-mb N        Largest request accepted (default 100)
  --log-level L          debug | info | warn | error (default info); logs go to stderr

  -h, --help             Show this help
  -v, --version          Show the version
`;

const BOOLEAN_FLAGS = new Set(['stdio', 'offline', 'check', 'no-local-jupyter', 'help', 'version']);
const VALUE_FLAGS = new Set([
  'port', 'host', 'root', 'config', 'url', 'token', 'auth-token', 'allow-origin', 'timeout',
  'max-output-chars', 'max-image-kb', 'max-body-mb', 'log-level', 'max-result-chars', 'result-shape',
]);
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
      if (name === 'allow-origin') out[name] = [...((out[name] as string[]) ?? []), v];
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
  timeout?: number;
  maxOutputChars?: number;
  maxImageKb?: number;
  maxBodyMb?: number;
  maxResultChars?: number;
  resultShape?: ResultShape;
  logLevel?: Settings['logLevel'];
  startLocalJupyter?: boolean;
}

const FILE_KEYS = ['jupyterServer', 'port', 'host', 'root', 'offline', 'authToken', 'allowedOrigins', 'timeout', 'maxOutputChars', 'maxImageKb', 'maxBodyMb', 'maxResultChars', 'resultShape', 'logLevel', 'startLocalJupyter'];

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

  const port = num('--port', a.port ?? env.JUPYTER_MCP_PORT ?? fc.port ?? DEFAULTS.port, 0, 65535);
  const host = String(a.host ?? env.JUPYTER_MCP_HOST ?? fc.host ?? DEFAULTS.host);
  const root = path.resolve(cwd, String(a.root ?? env.JUPYTER_MCP_ROOT ?? (fc.root ? path.resolve(configDir, fc.root) : cwd)));
  if (!existsSync(root)) throw new UsageError(`Workspace root ${root} does not exist: pass an existing folder with --root.`);
  const offlineRaw = a.offline ?? envBool(env.JUPYTER_MCP_OFFLINE) ?? fc.offline ?? fc.jupyterServer?.offline ?? false;
  const logLevel = String(a['log-level'] ?? env.JUPYTER_MCP_LOG_LEVEL ?? fc.logLevel ?? 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, not "${logLevel}".`);
  const resultShape = String(a['result-shape'] ?? env.JUPYTER_MCP_RESULT_SHAPE ?? fc.resultShape ?? DEFAULTS.resultShape);
  if (!['auto', 'structured', 'text'].includes(resultShape)) throw new UsageError(`--result-shape must be auto, structured or text, not "${resultShape}".`);
  const url = (a.url as string | undefined) ?? env.JUPYTER_SERVER_URL ?? fc.jupyterServer?.baseUrl ?? fc.jupyterServer?.url;
  if (url !== undefined) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new UsageError(`--url must be an http(s) URL like http://localhost:8888, not "${url}".`);
    }
  }
  const settings: Settings & { help: boolean; version: boolean } = {
    host,
    port,
    root,
    stdio: a.stdio === true,
    authToken: (a['auth-token'] as string | undefined) ?? env.JUPYTER_MCP_AUTH_TOKEN ?? fc.authToken,
    allowedOrigins: [...((a['allow-origin'] as string[] | undefined) ?? []), ...(fc.allowedOrigins ?? [])].map((o) => o.toLowerCase()),
    jupyter: {
      url,
      token: (a.token as string | undefined) ?? env.JUPYTER_TOKEN ?? fc.jupyterServer?.token,
      offline: offlineRaw === true,
      startLocal: a['no-local-jupyter'] !== true && fc.startLocalJupyter !== false,
    },
    execution: { timeoutMs: num('--timeout', a.timeout ?? fc.timeout ?? DEFAULTS.timeoutSeconds, 1, 86_400) * 1000 },
    limits: {
      maxOutputChars: num('--max-output-chars', a['max-output-chars'] ?? fc.maxOutputChars ?? DEFAULTS.maxOutputChars, 200, 10_000_000),
      maxImageBytes: num('--max-image-kb', a['max-image-kb'] ?? fc.maxImageKb ?? DEFAULTS.maxImageBytes / 1024, 1, 100_000) * 1024,
      maxBodyBytes: num('--max-body-mb', a['max-body-mb'] ?? fc.maxBodyMb ?? DEFAULTS.maxBodyMb, 1, 2048) * 1024 * 1024,
      // Below 4,000 a notebook page could not hold one cell's outline and the paging hint.
      maxResultChars: num('--max-result-chars', a['max-result-chars'] ?? fc.maxResultChars ?? DEFAULTS.maxResultChars, 4_000, 10_000_000),
      resultShape: resultShape as ResultShape,
    },
    logLevel: logLevel as Settings['logLevel'],
    configFile: Object.keys(fc).length ? configFile : undefined,
    check: a.check === true,
    help: a.help === true,
    version: a.version === true,
  };
  return settings;
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return /^(true|yes|1)$/i.test(v);
}
