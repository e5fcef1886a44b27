// A minimal logger seam: the CLI writes to stderr (stdout belongs to the stdio transport), the
// extension writes to a LogOutputChannel. Every line goes through redact() so that no token that
// was registered as a secret can reach a log.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const secrets = new Set<string>();

/** Registers a value that must never be printed (tokens). Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/**
 * Replaces registered secrets, and anything that looks like a secret in a URL or header, by "***":
 * `?token=…`, `Authorization: token|bearer …`, and the user:password part of a URL (a password
 * nobody registered, e.g. in a URL a library echoes back in an error).
 */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  out = out.replace(/([?&]token=)[^&\s"']+/gi, '$1***');
  out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi, '$1***@');
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?(?:token|bearer)\s+)[^\s"',}]+/gi, '$1***');
  return out;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Writes "time level message" lines to a sink (stderr by default). */
export function createStreamLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: LogLevel) => (message: string) => {
    if (order[lvl] < order[level]) return;
    write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${redact(message)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Sends console output to the logger (or stderr), redacted. Libraries such as @jupyterlab/services
 * print to the console; stdout must stay clean for the stdio transport.
 */
export function routeConsoleToStderr(log?: Logger): void {
  const write = (level: keyof Logger) => (...args: unknown[]) => {
    const line = redact(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : safeJson(a))).join(' '));
    if (log) log[level](line);
    else process.stderr.write(line + '\n');
  };
  console.log = write('info');
  console.info = write('info');
  console.debug = write('debug');
  console.warn = write('warn');
  console.error = write('error');
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

