// Jupyter server URLs as people paste them, shown and described without secrets. Kept apart from
// the backend so that config.ts and messages can use them without loading the backend's parts.
import { redact, registerSecret } from '../util/log';
import { WireError } from './wire';

/**
 * Splits a Jupyter URL as people copy it from a browser or from `jupyter server list`
 * (http://host:8888/?token=T, http://hub/user/NAME/?token=T) into the base URL and the token. The
 * query and fragment are never part of a base path.
 */
export function parseJupyterUrl(raw: string): { baseUrl: string; token?: string } {
  const u = new URL(raw);
  const token = u.searchParams.get('token') || undefined;
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return { baseUrl: u.toString(), token };
}

/** JupyterLab / Notebook page routes: a browser URL pasted whole ends in one of these. */
export const UI_ROUTE = /^(.*?\/)(?:lab|tree|notebooks|doc|edit|consoles|terminals|voila)(?:\/.*)?$/;

/** Shows a URL without credentials or query string (the token may be in either). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return redact(url);
  }
}

/**
 * The URL without user:password@: they are secrets (registered for redaction) and never sent —
 * fetch refuses such URLs with an error that would quote them, and the Jupyter token is the
 * credential Jupyter MCP sends.
 */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    registerSecret(u.password);
    try {
      registerSecret(decodeURIComponent(u.password));
    } catch {
      // A stray "%": the encoded form is registered, which is the one URLs show.
    }
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

export const START_HINT =
  'Start one with `python3 -m jupyter_server --ServerApp.token=TOKEN` (or `jupyter lab`), or pass --url URL --token TOKEN';

/** Names why a fetch failed (undici hides ECONNREFUSED & co. in `cause`). */
export function describeFetchError(e: unknown): string {
  let err = e as { name?: string; message?: string; code?: string; cause?: unknown } | undefined;
  let deepest = (e as Error)?.message ?? String(e);
  for (let i = 0; i < 5 && err; i++) {
    if (err.code && typeof err.code === 'string') return err.code;
    if (err instanceof WireError) return err.message;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer within 5 s (timed out)';
    if (err.message) deepest = err.message;
    err = err.cause as typeof err;
  }
  // e.g. undici's "bad port" (ports browsers refuse) carries no code, only a message.
  return redact(deepest);
}
