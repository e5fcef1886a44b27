// JupyterHub awareness. A hub is not a Jupyter server: each user has one behind the hub's proxy at
// /user/NAME/, reached with a hub token that carries the scope access:servers!user=NAME. When a
// Jupyter URL fails, this finds out whether a hub answers there (GET /hub/api names its version,
// without auth) and turns the failure into what to do: the /user/NAME/ URL, the scope a token
// lacks, or — for a stopped server — starting it through the hub API when the token may, else the
// /hub/spawn/NAME page. Never prints the token.
import { KernelError } from './backend';
import { wireFetch } from './wire';

export interface HubLocation {
  /** The hub's public URL with its base path, e.g. http://hub.example/ (always ends with '/'). */
  hubUrl: string;
  version: string;
  /** The user named by the URL (/user/NAME/), if any. */
  user?: string;
  /** True when the URL is a user's server (/user/NAME/ exactly), not the hub or a page in it. */
  isUserServer: boolean;
}

const TIMEOUT_MS = 5000;

/**
 * fetch, asked once more when a pooled keep-alive connection turns out closed by the proxy
 * ("other side closed"): that says nothing about the hub.
 */
async function hubFetch(url: string, init: RequestInit): Promise<Response> {
  // wireFetch: the answer's size is capped (a hub's answers are small).
  try {
    return await wireFetch(url, init);
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw e;
    return wireFetch(url, init);
  }
}

function authHeaders(token: string): Record<string, string> {
  return token ? { Authorization: `token ${token}` } : {};
}

/** Where a hub could live for this URL: the part before /user/NAME/ or /hub/, else the path itself or the root. */
function candidates(u: URL): { prefix: string; user?: string; isUserServer: boolean }[] {
  const p = u.pathname.endsWith('/') ? u.pathname : u.pathname + '/';
  const user = /^(.*?\/)(hub\/)?user\/([^/]+)\/(.*)$/.exec(p);
  if (user) {
    let name: string | undefined;
    try {
      name = decodeURIComponent(user[3]);
    } catch {
      name = user[3];
    }
    return [{ prefix: user[1], user: name, isUserServer: !user[2] && user[4] === '' }];
  }
  const hub = /^(.*?\/)hub\/.*$/.exec(p);
  if (hub) return [{ prefix: hub[1], isUserServer: false }];
  return [...new Set([p, '/'])].map((prefix) => ({ prefix, isUserServer: false }));
}

/** Finds the hub this URL belongs to, or undefined when no hub answers there. */
export async function locateHub(baseUrl: string): Promise<HubLocation | undefined> {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    return undefined;
  }
  for (const c of candidates(u)) {
    const hubUrl = u.origin + c.prefix;
    try {
      const res = await hubFetch(hubUrl + 'hub/api', { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      if (!res.ok) continue;
      const body = (await res.json()) as { version?: unknown };
      if (typeof body?.version === 'string') return { hubUrl, version: body.version, user: c.user, isUserServer: c.isUserServer };
    } catch {
      // Not a hub (or not JSON): try the next place.
    }
  }
  return undefined;
}

interface WhoAmI {
  status: number;
  name?: string;
  /** Present for tokens with explicit scopes (hub 3.x); absent means the user's own full rights. */
  scopes?: string[];
}

async function whoAmI(hubUrl: string, token: string): Promise<WhoAmI> {
  if (!token) return { status: 0 };
  try {
    const res = await hubFetch(hubUrl + 'hub/api/user', { headers: authHeaders(token), signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    if (!res.ok) return { status: res.status };
    const body = (await res.json()) as { name?: unknown; scopes?: unknown };
    return {
      status: res.status,
      name: typeof body.name === 'string' ? body.name : undefined,
      scopes: Array.isArray(body.scopes) ? body.scopes.filter((s): s is string => typeof s === 'string') : undefined,
    };
  } catch {
    return { status: 0 };
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface HubAdviceOptions {
  /** How long to wait for a server the hub is starting (default 60 s). */
  startWaitMs?: number;
}

/**
 * Explains a failed GET <baseUrl>api/status (`status`: its HTTP status) when a hub answers for
 * this URL; undefined when there is no hub (the caller keeps its plain Jupyter message). When the
 * user's server is stopped and the token may start servers, starts it and waits for it.
 */
export async function hubAdvice(baseUrl: string, token: string, status: number, opts: HubAdviceOptions = {}): Promise<KernelError | undefined> {
  const hub = await locateHub(baseUrl);
  if (!hub) return undefined;
  const shown = baseUrl.replace(/[?#].*$/, '');
  const who = await whoAmI(hub.hubUrl, token);
  const name = hub.user ?? who.name;
  const userUrl = `${hub.hubUrl}user/${name ? encodeURIComponent(name) : 'NAME'}/`;
  const scope = `access:servers!user=${name ?? 'NAME'}`;
  const tokenPage = `${hub.hubUrl}hub/token`;
  const about = `JupyterHub ${hub.version} at ${hub.hubUrl}`;

  if (!hub.isUserServer) {
    return new KernelError(
      `${shown} is ${about}, not a Jupyter server: kernels run on each user's own server behind the hub. ` +
        `Pass --url ${userUrl}${name ? '' : ' (NAME: your hub user name)'}` +
        (token ? ` with a hub token that has the scope ${scope}.` : ` and --token with a token from ${tokenPage} (it needs the scope ${scope}).`),
      'connection',
    );
  }

  if (status === 401 || status === 403) {
    if (!token) return new KernelError(`${shown} is ${name}'s server on ${about} and needs a token: create one at ${tokenPage} (it needs the scope ${scope}) and pass --token.`, 'auth');
    if (who.status === 401 || who.status === 403) {
      return new KernelError(`${about} does not accept this token (expired, revoked, or from another hub): create a new one at ${tokenPage} (with the scope ${scope}) and pass it with --token.`, 'auth');
    }
    if (who.name && hub.user && who.name !== hub.user) {
      return new KernelError(
        `The token belongs to hub user ${who.name}, and ${shown} is ${hub.user}'s server on ${about}: pass --url ${hub.hubUrl}user/${encodeURIComponent(who.name)}/, or a token with the scope ${scope}.`,
        'auth',
      );
    }
    return new KernelError(
      `${about} refused the token for ${shown} (${status}): a token needs the scope ${scope} (or access:servers!server=${name ?? 'NAME'}/)` +
        (who.scopes ? `; this one has only ${who.scopes.join(', ') || 'no scopes'}` : '') +
        `. Create one at ${tokenPage} (a token made there without choosing scopes has it) and pass it with --token.`,
      'auth',
    );
  }

  // Any other failure at /user/NAME/ behind a hub means the server is not running: the proxy
  // sends the request to the hub, which answers 424 (503 with the legacy setting).
  const spawnPage = `${hub.hubUrl}hub/spawn/${encodeURIComponent(name ?? 'NAME')}`;
  if (name && token) {
    const started = await startServer(hub.hubUrl, baseUrl, name, token, opts.startWaitMs ?? 60_000);
    if (started === 'ready') {
      return new KernelError(
        `${name}'s server on ${about} was not running; Jupyter MCP asked the hub to start it and it is running again. ` +
          'Kernels that ran on it are gone: call again (start_kernel for a new kernel; notebooks get a new one on their next run).',
        'connection',
      );
    }
    if (started === 'starting') return new KernelError(`${name}'s server on ${about} is starting (the hub is spawning it): call again in a moment.`, 'connection');
  }
  return new KernelError(
    `${name ? `${name}'s` : 'The user'} server on ${about} is not running (${status}): start it at ${spawnPage}, then call again.` +
      (token ? ` (A token with the scope servers!user=${name ?? 'NAME'} lets Jupyter MCP start it itself.)` : ''),
    'connection',
  );
}

/** Asks the hub to start NAME's default server; 'ready' once its /api/status answers. */
async function startServer(hubUrl: string, baseUrl: string, name: string, token: string, waitMs: number): Promise<'ready' | 'starting' | 'refused'> {
  try {
    // The hub answers once the spawn is done or after its slow_spawn_timeout (10 s by default).
    const res = await hubFetch(`${hubUrl}hub/api/users/${encodeURIComponent(name)}/server`, { method: 'POST', headers: authHeaders(token), signal: AbortSignal.timeout(30_000), redirect: 'manual' });
    // 201 started, 202 spawn pending, 400 "already running or pending".
    if (res.status !== 201 && res.status !== 202 && res.status !== 400) return 'refused';
  } catch (e) {
    // No answer in time: the request reached the hub, which may be spawning; see below.
    if ((e as Error).name !== 'TimeoutError') return 'refused';
  }
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const s = await hubFetch(baseUrl + 'api/status', { headers: authHeaders(token), signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (s.ok) return 'ready';
    } catch {
      // The proxy route is being added: ask again.
    }
    if (Date.now() > until) return 'starting';
    await sleep(500);
  }
}
