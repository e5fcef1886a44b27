// The second half of the inspection helper's Python (see pyHelper.ts): one variable in depth,
// shaped by its kind, and code at a cursor for kernels reached only through code (the Jupyter
// extension's), where IPython's own inspector and completer answer as inspect_request and
// complete_request would.

export const INSPECT_PY = String.raw`# ---- one variable in depth ------------------------------------------------------------------------

def resolve(path):
    """The value at a name or a dotted path of plain attributes; no code of the object runs."""
    parts = path.split('.')
    for p in parts:
        if not p.isidentifier() or keyword.iskeyword(p):
            raise Refused('"%s" is not a variable name: give a name such as df or model.coef_ (no calls, indexing or operators).' % path)
    v = NS.get(parts[0], MISSING)
    if v is MISSING or ipython_own(parts[0], v):
        near = difflib.get_close_matches(parts[0], [n for n in NS if not n.startswith('_')], 3)
        raise Refused('No variable "%s" in the kernel.%s Call list_variables to see the names there are.' % (parts[0], (' Did you mean %s?' % ', '.join(near)) if near else ''))
    for i, p in enumerate(parts[1:], 1):
        where = '.'.join(parts[:i])
        try:
            a = insp.getattr_static(v, p)
        except AttributeError:
            raise Refused('%s (a %s) has no attribute "%s" stored on it. inspect_variable %s lists what it holds.' % (where, tname(type(v)), p, where))
        own = getattr(v, '__dict__', None)
        if (isinstance(own, dict) and p in own) or isinstance(v, type):
            v = a.__func__ if isinstance(a, (staticmethod, classmethod)) else a
        elif not hasattr(type(a), '__get__') or isinstance(a, (types.FunctionType, staticmethod, classmethod)):
            v = a.__func__ if isinstance(a, (staticmethod, classmethod)) else a
        elif type(a).__name__ in ('member_descriptor', 'getset_descriptor'):
            v = getattr(v, p)
        else:
            raise Refused('%s.%s is computed by code (a %s): inspect_variable does not run it. Use execute_cell to evaluate it.' % (where, p, tname(type(a))))
    return v


def table(df, rows):
    return df.to_string(max_rows=rows + 1, max_cols=12, max_colwidth=40, show_dimensions=False)


def index_line(ix):
    if sub(type(ix), PD, 'RangeIndex'):
        return 'RangeIndex(%s..%s, step %s)' % (ix.start, ix.stop - 1, ix.step) if len(ix) else 'RangeIndex (empty)'
    return '%s, dtype %s%s' % (type(ix).__name__, ix.dtype, (', name %r' % (ix.name,)) if ix.name is not None else '')


def pandas_details(v, k, out):
    rows = int(A.get('rows') or 5)
    out['shape'] = list(v.shape)
    out['bytes'] = timed(1, lambda: int(v.memory_usage(index=True, deep=False).sum() if k == 'dataframe' else v.memory_usage(deep=False)), default=None)
    out['index'] = index_line(v.index)
    nulls = timed(2, lambda: v.isna().sum(), default=None)
    if k == 'dataframe':
        n = v.shape[1]
        show = min(n, int(A.get('max_columns') or 50))
        cols = []
        for i in range(show):
            c = {'name': one_line(safe_str(v.columns[i]), 60), 'dtype': str(v.dtypes.iloc[i])}
            if nulls is not None:
                c['nulls'] = int(nulls.iloc[i])
            cols.append(c)
        out['columns'] = cols
        if n > show:
            out['columns_shown'] = show
    else:
        out['dtype'] = str(v.dtype)
        if v.name is not None:
            out['series_name'] = one_line(safe_str(v.name), 60)
        if nulls is not None:
            out['nulls'] = int(nulls)
    frame = v if k == 'dataframe' else v.to_frame() if k == 'series' else None
    if frame is not None:
        out['head'] = timed(2, table, frame.head(rows), rows)
        if len(v) > rows:
            out['tail'] = timed(2, table, frame.tail(min(rows, 3)), rows)
        if A.get('describe'):
            out['describe'] = timed(5, lambda: table(v.describe(include='all') if k == 'dataframe' else v.describe().to_frame(), 20))
    else:
        out['head'] = one_line(R.repr(list(v[:rows])), 400)


def ndarray_details(a, out):
    out['shape'] = list(a.shape)
    out['dtype'] = str(a.dtype)
    out['bytes'] = int(a.nbytes)
    if a.size and a.dtype.kind in 'biuf':
        def stats():
            with warnings.catch_warnings(), NP.errstate(all='ignore'):
                warnings.simplefilter('ignore')
                s = {'min': NP.nanmin(a).item(), 'max': NP.nanmax(a).item(), 'mean': float(NP.nanmean(a))}
                if a.dtype.kind == 'f':
                    s['nan'] = int(NP.isnan(a).sum())
                return s
        out['stats'] = timed(3, stats)
    if a.ndim == 0:
        out['value'] = R.repr(a.item())
        return
    lead = (0,) * max(0, a.ndim - 2)
    corner = a[lead + (slice(0, 6),) * min(a.ndim, 2)]
    out['corner_of'] = '[' + ', '.join(['0'] * len(lead) + [':6'] * min(a.ndim, 2)) + ']'
    out['corner'] = timed(2, lambda: NP.array2string(corner, max_line_width=120, threshold=100, edgeitems=3, precision=6))


def image_of_figure(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=min(100, fig.dpi or 100))
    return base64.b64encode(buf.getvalue()).decode('ascii')


def image_of_pil(im):
    img = im.copy()
    img.thumbnail((1024, 1024))
    if img.mode not in ('1', 'L', 'LA', 'P', 'RGB', 'RGBA'):
        img = img.convert('RGBA' if 'A' in img.mode else 'RGB')
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    return base64.b64encode(buf.getvalue()).decode('ascii')


def inspect_variable():
    path = A['name']
    v = resolve(path)
    k = kind(v)
    out = {'name': path, 'type': tname(type(v)), 'kind': k}
    n = int(A.get('items') or 20)
    if k in ('dataframe', 'series', 'index'):
        pandas_details(v, k, out)
    elif k == 'ndarray':
        ndarray_details(v, out)
    elif k == 'dict':
        out['len'] = len(v)
        items = []
        for key, val in zip(list(dict.keys(v))[:n], list(dict.values(v))[:n]):
            items.append({'key': one_line(R.repr(key), 60), 'type': tname(type(val)), 'value': timed(0.5, value_line, val, kind(val), 80)})
        out['items'] = items
    elif k == 'sequence':
        out['len'] = len(v)
        first = [x for _, x in zip(range(1000), v)]
        counts = collections.Counter(tname(type(x)) for x in first)
        out['item_types'] = dict(counts.most_common(5))
        out['items'] = [timed(0.5, value_line, x, kind(x), 80) for x in first[:n]]
    elif k == 'str':
        out['len'] = len(v)
        out['lines'] = v.count('\n') + 1
        out['head'] = v[:2000]
    elif k == 'bytes':
        out['len'] = len(v)
        out['head'] = repr(bytes(v[:400]))
    elif k == 'scalar':
        out['value'] = timed(1, repr, v)
    elif k == 'module':
        out['module'] = getattr(v, '__name__', '?')
        f = getattr(v, '__file__', None)
        if f:
            out['file'] = f
        ver = getattr(v, '__version__', None)
        if isinstance(ver, str):
            out['version'] = ver
    elif k in ('function', 'class'):
        try:
            out['signature'] = '%s%s' % (getattr(v, '__name__', path), insp.signature(v))
        except (TypeError, ValueError):
            pass
        out['doc'] = (insp.getdoc(v) or '')[:1500]
        if getattr(v, '__module__', None):
            out['module'] = v.__module__
    elif k in ('figure', 'axes'):
        fig = v.figure if k == 'axes' else v
        out['size_inches'] = [round(float(x), 2) for x in fig.get_size_inches()]
        out['axes'] = [{'title': ax.get_title(), 'xlabel': ax.get_xlabel(), 'ylabel': ax.get_ylabel()} for ax in fig.axes[:10]]
        out['image'] = timed(10, image_of_figure, fig, default=None)
    elif k == 'image':
        out['size'] = list(v.size)
        out['mode'] = v.mode
        if v.format:
            out['format'] = v.format
        out['image'] = timed(10, image_of_pil, v, default=None)
    else:
        try:
            out['len'] = len(v) if hasattr(type(v), '__len__') else None
        except Exception:
            pass
        if out.get('len') is None:
            out.pop('len', None)
        own = getattr(v, '__dict__', None)
        if isinstance(own, dict) and own:
            out['attributes'] = sorted(str(x) for x in own)[:40]
        r = timed(2, repr, v)
        out['repr'] = r[:2000] + ('\u2026' if len(r) > 2000 else '')
    return out


# ---- code at a cursor (editor kernels whose protocol requests are out of reach) -------------------

def inspect_code():
    from IPython.utils.tokenutil import token_at_cursor
    code, pos = A['code'], int(A['cursor_pos'])
    out = {}
    if A.get('part') == 'inspect':
        out = {'found': False, 'data': {}}
        try:
            data = IP.object_inspect_mime(token_at_cursor(code, pos), detail_level=int(A.get('detail_level') or 0))
            if data:
                out = {'found': True, 'data': data}
        except KeyError:
            pass
    else:
        # As ipykernel's own complete_request does (its "experimental" completions, the default).
        from IPython.core.completer import provisionalcompleter, rectify_completions

        def completions():
            with provisionalcompleter():
                return list(rectify_completions(code, IP.Completer.completions(code, pos)))
        found = CLOCK.run(10, completions)
        out = {'matches': [c.text for c in found], 'cursor_start': found[0].start if found else pos, 'cursor_end': found[0].end if found else pos}
    return out


`;
