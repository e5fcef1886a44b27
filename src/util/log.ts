// A minimal logger seam: the CLI writes to stderr (stdout belongs to the stdio transport), the
// extension writes to a LogOutputChannel. Every line goes through logLine(): redact() so that no
// token that was registered as a secret can reach a log, and escapeControl() so that one message is
// one line.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * One set per process, not per bundle: the extension is two bundles (dist/extension.js registers
 * the MCP token, dist/runtime.js builds the tool results), and each has its own copy of this module.
 */
const secrets: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('jupyter-mcp.secrets')] ??= new Set<string>()) as Set<string>;

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

/**
 * Replaces the registered secrets only (not the URL and header patterns redact() also hides): for
 * tool results and saved outputs, where a notebook's own text such as `?token=abc` in a cell must
 * stay as it is, but a registered token (the MCP token a kernel read from its file, say) must not
 * reach a model or a file.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** Whether any registered secret occurs in `text`. */
export function holdsSecret(text: string): boolean {
  for (const s of secrets) if (text.includes(s)) return true;
  return false;
}

/**
 * The same value with registered secrets replaced in every string inside it (object keys too),
 * or the value itself when it holds none: checked first on its JSON, so the common case costs one
 * stringify and allocates nothing else.
 */
export function redactDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return value;
  }
  if (json === undefined || !holdsSecret(json)) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactSecrets(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty, not assignment: a "__proto__" key stays a key.
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, redactSecrets(k), { value: walk(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * One log line whatever it holds: control characters (a newline in a notebook path, an escape
 * sequence in a kernel's output) are written as visible escapes (\n, \x1b), so a name cannot
 * start a forged line in stderr or the VS Code output channel, nor move the terminal's cursor.
 * Unicode line and paragraph separators count too (editors break lines there).
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** What every logger writes for a message: redacted, then on one line. */
export function logLine(message: string): string {
  return escapeControl(redact(message));
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Writes "time level message" lines to a sink (stderr by default). */
export function createStreamLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: LogLevel) => (message: string) => {
    if (order[lvl] < order[level]) return;
    write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${logLine(message)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A line sink for stderr that writes the lines of one event-loop turn together, once the turn is
 * over (setImmediate). Writes to a pipe or file on stderr are synchronous in Node: a tool call's
 * "tool … ok" line written in place would cost a system call (and wake the reader) before the
 * call's answer goes out; here it goes after it. `flush()` writes what is pending at once (before
 * a direct write to stderr, so lines keep their order); the process's 'exit' event flushes too, so
 * a line logged just before process.exit() or a fatal error is not lost.
 */
export function bufferedStderr(out: { write(text: string): unknown } = process.stderr): { write(line: string): void; flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    out.write(text);
  };
  process.on('exit', flush);
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Sends console output to the logger (or stderr), redacted. Libraries such as @jupyterlab/services
 * print to the console; stdout must stay clean for the stdio transport.
 */
export function routeConsoleToStderr(log?: Logger): void {
  const write = (level: keyof Logger) => (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : safeJson(a))).join(' ');
    if (log) log[level](line);
    else process.stderr.write(logLine(line) + '\n');
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

