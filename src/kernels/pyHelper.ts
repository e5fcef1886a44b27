// The Python the inspection tools run inside an IPython kernel (ipykernel), as one expression, so
// that it leaves no trace: the kernel evaluates it as a user expression of a silent execute
// request, and it exec()s this source in a fresh dict (its names never reach the user namespace),
// reads the user namespace it is handed, and returns an object whose repr is the JSON answer.
// Everything it does is cheap or bounded: sizes come from shapes and buffer sizes (no element is
// visited to list variables), values are short reprs (reprlib), and anything that may run the
// objects' own code (a repr, a describe()) runs under a SIGALRM time limit; the caller interrupts
// the kernel past its own time-out when even that does not return. Attribute paths are resolved
// statically: a property or any descriptor that would run code is refused, never called.
// The second half of the source (one variable in depth, code at a cursor) is in pyHelperInspect.ts.
import { INSPECT_PY } from './pyHelperInspect';

/** What the helper is asked. */
export type HelperArgs =
  | { op: 'list'; budget: number; offset?: number; name?: string; type?: string; include_hidden?: boolean; value_chars?: number }
  | { op: 'inspect'; name: string; rows?: number; describe?: boolean; items?: number; max_columns?: number }
  | { op: 'code'; part: 'inspect' | 'complete'; code: string; cursor_pos: number; detail_level?: number };

/** The helper's answer: `ok` with the fields of its operation, or why not. */
export type HelperAnswer = { ok: true; [field: string]: unknown } | { ok: false; refused?: string; error?: string };

const HEAD_PY = String.raw`import sys, json, time, signal, threading, reprlib, keyword, difflib, types, collections, base64, io, fnmatch, warnings
import inspect as insp

A = json.loads(args)
NS = ns
try:
    IP = sys.modules['IPython'].get_ipython()
except Exception:
    IP = None
HIDDEN = getattr(IP, 'user_ns_hidden', None) or {}
NP = sys.modules.get('numpy')
PD = sys.modules.get('pandas')
MISSING = object()


class Slow(BaseException):
    pass


class Refused(Exception):
    pass


class Clock:
    """Time limits through SIGALRM (main thread, Unix); elsewhere the caller's interrupt is the limit."""

    def __init__(self):
        self.ok = hasattr(signal, 'setitimer') and threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if self.ok:
            def on_alarm(signum, frame):
                raise Slow()
            self.prev = signal.setitimer(signal.ITIMER_REAL, 0)
            self.old = signal.signal(signal.SIGALRM, on_alarm)
        return self

    def __exit__(self, *exc):
        if self.ok:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
            if self.prev[0] > 0:
                signal.setitimer(signal.ITIMER_REAL, *self.prev)

    def run(self, secs, fn, *a):
        if not self.ok:
            return fn(*a)
        signal.setitimer(signal.ITIMER_REAL, max(secs, 0.001))
        try:
            return fn(*a)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


CLOCK = Clock()


def timed(secs, fn, *a, default=MISSING):
    """fn(*a) within secs; on time-out or error, 'default' (or the error's description)."""
    try:
        return CLOCK.run(secs, fn, *a)
    except Slow:
        if default is not MISSING:
            return default
        return '<not computed: took longer than %g s>' % secs
    except Exception as e:
        if default is not MISSING:
            return default
        return '<%s raised %s: %s>' % (fn.__name__ if hasattr(fn, '__name__') else 'repr', type(e).__name__, one_line(safe_str(e), 120))


def safe_str(x):
    try:
        return str(x)
    except Exception:
        return '?'


R = reprlib.Repr()
R.maxstring = R.maxother = 60
R.maxlist = R.maxtuple = R.maxset = R.maxfrozenset = R.maxdeque = R.maxarray = 6
R.maxdict = 4
R.maxlevel = 2
R.maxlong = 40


def one_line(s, n):
    s = ' '.join(s.split())
    return s if len(s) <= n else s[: n - 1] + '\u2026'


def tname(t):
    m = getattr(t, '__module__', None) or ''
    q = getattr(t, '__qualname__', None) or getattr(t, '__name__', '?')
    if m in ('builtins', '__main__'):
        return q
    return m.split('.')[0] + '.' + q


def sub(t, mod, attr):
    cls = getattr(mod, attr, None) if mod is not None else None
    return isinstance(cls, type) and issubclass(t, cls)


def kind(v):
    # type(v), not v.__class__: a proxy's __class__ may be a property that runs code.
    t = type(v)
    if PD is not None:
        if sub(t, PD, 'DataFrame'):
            return 'dataframe'
        if sub(t, PD, 'Series'):
            return 'series'
        if sub(t, PD, 'Index'):
            return 'index'
    if NP is not None:
        if sub(t, NP, 'ndarray'):
            return 'ndarray'
        if sub(t, NP, 'generic'):
            return 'scalar'
    if v is None or issubclass(t, (bool, int, float, complex)):
        return 'scalar'
    if issubclass(t, str):
        return 'str'
    if issubclass(t, (bytes, bytearray)):
        return 'bytes'
    if issubclass(t, dict):
        return 'dict'
    if issubclass(t, (list, tuple, set, frozenset, collections.deque)):
        return 'sequence'
    if issubclass(t, types.ModuleType):
        return 'module'
    if issubclass(t, type):
        return 'class'
    if issubclass(t, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType)):
        return 'function'
    if sub(t, sys.modules.get('matplotlib.figure'), 'Figure'):
        return 'figure'
    if sub(t, sys.modules.get('matplotlib.axes'), 'Axes'):
        return 'axes'
    if sub(t, sys.modules.get('PIL.Image'), 'Image'):
        return 'image'
    return 'object'


def ipython_own(name, v):
    """IPython's own names (In, Out, exit, get_ipython, _, _i3 ...) while they hold IPython's value."""
    h = HIDDEN.get(name, MISSING)
    return h is not MISSING and h is v


def hidden(name, k):
    return name.startswith('_') or k in ('module', 'class', 'function')


def sizes(v, k):
    """(shape, len, bytes), cheap: no element is visited."""
    if k == 'dataframe':
        return list(v.shape), None, int(v.memory_usage(index=True, deep=False).sum())
    if k in ('series', 'index'):
        return [len(v)], None, int(v.memory_usage(deep=False))
    if k == 'ndarray':
        return list(v.shape), None, int(v.nbytes)
    if k in ('str', 'bytes', 'dict', 'sequence'):
        return None, len(v), sys.getsizeof(v)
    return None, None, sys.getsizeof(v)


def short(x):
    return one_line(R.repr(x.item() if NP is not None and isinstance(x, NP.generic) else x), 24)


def value_line(v, k, n):
    if k == 'dataframe':
        cols = ['%s: %s' % (c, t) for c, t in zip(list(v.columns[:8]), list(v.dtypes.iloc[:8]))]
        more = v.shape[1] - len(cols)
        s = ', '.join(cols) + (', \u2026 (+%d columns)' % more if more > 0 else '')
    elif k in ('series', 'index'):
        head = v[:5] if k == 'index' else v.iloc[:5]
        s = '%s: %s%s' % (v.dtype, ', '.join(short(x) for x in head), ', \u2026' if len(v) > 5 else '')
    elif k == 'ndarray':
        s = '%s: %s' % (v.dtype, str(v) if v.ndim == 0 else '[' + ', '.join(short(x) for x in v.flat[:5]) + (', \u2026' if v.size > 5 else '') + ']')
    elif k == 'module':
        s = getattr(v, '__name__', '?')
    elif k in ('function', 'class'):
        try:
            s = '%s%s' % (getattr(v, '__name__', '?'), insp.signature(v))
        except (TypeError, ValueError):
            s = getattr(v, '__name__', '?')
    else:
        s = R.repr(v)
    return one_line(s, n)


def matches(name, v, k):
    pat = A.get('name')
    if pat:
        if any(c in pat for c in '*?['):
            if not fnmatch.fnmatchcase(name.lower(), pat.lower()):
                return False
        elif pat.lower() not in name.lower():
            return False
    want = A.get('type')
    if want:
        want = want.lower()
        if want not in tname(type(v)).lower() and want != k:
            return False
    return True


def list_variables():
    started = time.monotonic()
    rows, hidden_count = [], 0
    for name in list(NS):
        v = NS.get(name, MISSING)
        if not isinstance(name, str) or v is MISSING or ipython_own(name, v):
            continue
        k = kind(v)
        if hidden(name, k) and not A.get('include_hidden'):
            hidden_count += 1
            continue
        if matches(name, v, k):
            rows.append([name, v, k])
    # Sizes of every match (for the order), each under a time limit, all within 2 s.
    for r in rows:
        if time.monotonic() - started > 2:
            r.append((None, None, None))
        else:
            r.append(timed(0.2, sizes, r[1], r[2], default=(None, None, None)))
    rows.sort(key=lambda r: (-(r[3][2] or 0), r[0]))
    offset = max(0, int(A.get('offset') or 0))
    budget = int(A.get('budget') or 6000)
    width = int(A.get('value_chars') or 80)
    out, used, nxt = [], 0, None
    for i in range(offset, len(rows)):
        name, v, k, (shape, length, nbytes) = rows[i]
        e = {'name': name, 'type': tname(type(v))}
        if shape is not None:
            e['shape'] = shape
        if length is not None:
            e['len'] = length
        if nbytes is not None:
            e['bytes'] = nbytes
        e['value'] = timed(0.2, value_line, v, k, width) if time.monotonic() - started < 4 else '<not computed: time limit>'
        size = len(json.dumps(e, ensure_ascii=False)) + 1
        if out and used + size > budget:
            nxt = i
            break
        out.append(e)
        used += size
    res = {'total': len(rows), 'offset': offset, 'variables': out}
    if nxt is not None:
        res['next_offset'] = nxt
    if hidden_count:
        res['hidden'] = hidden_count
    return res


`;

const TAIL_PY = String.raw`# ---- answer -----------------------------------------------------------------------------------------

def clean(x):
    """JSON-safe: NaN and infinities as text (JSON has none), keys as text."""
    if isinstance(x, float):
        return x if x == x and x not in (float('inf'), float('-inf')) else repr(x)
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    return x


def answer():
    with CLOCK:
        try:
            op = A['op']
            body = list_variables() if op == 'list' else inspect_variable() if op == 'inspect' else inspect_code()
            return {'ok': True, **body}
        except Refused as e:
            return {'ok': False, 'refused': str(e)}
        except Slow:
            return {'ok': False, 'error': 'the inspection took too long'}
        except Exception as e:
            return {'ok': False, 'error': '%s: %s' % (type(e).__name__, one_line(safe_str(e), 300))}


class Answer:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


result = Answer(json.dumps(clean(answer()), ensure_ascii=True, allow_nan=False, separators=(',', ':')))
`;

const HELPER_PY = HEAD_PY + INSPECT_PY + TAIL_PY;

/**
 * The helper as one Python expression (for a user expression, or for display): a lambda that
 * exec()s the source in a fresh dict holding the user namespace and the arguments, and returns
 * its answer object. JSON string literals are valid Python string literals.
 */
export function helperExpression(args: HelperArgs): string {
  return (
    "(lambda g: __import__('builtins').exec(" +
    JSON.stringify(HELPER_PY) +
    ", g) or g['result'])({'__builtins__': __import__('builtins'), 'ns': __import__('builtins').globals(), 'args': " +
    JSON.stringify(JSON.stringify(args)) +
    '})'
  );
}

/** The helper's answer from the MIME bundle of its value (its repr is the JSON). */
export function parseHelperAnswer(bundle: Record<string, unknown>): HelperAnswer {
  const text = bundle['text/plain'];
  if (typeof text !== 'string') throw new Error('the kernel returned no text for the inspection');
  return JSON.parse(text) as HelperAnswer;
}
