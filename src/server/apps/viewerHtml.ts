// The output viewer's HTML document (an MCP Apps view). Plain script, no framework, no network:
// it speaks the MCP Apps postMessage protocol with the host (ui/initialize, then the tool result
// arrives as ui/notifications/tool-result), reads each output named in the result with
// resources/read through the host, and renders it:
// - Plotly JSON with plotly.js (cartesian bundle: scatter, line, bar, histogram, box, violin,
//   heatmap, contour, pie, image), loaded as a second ui:// resource the first time it is needed;
// - HTML (a DataFrame's table) rebuilt element by element from an allowlist: a notebook's HTML is
//   untrusted, and in this view a script could call the server's tools through the host, so no
//   script, handler, style, link or frame of it survives;
// - PNG / JPEG / GIF / SVG as images (data: URLs, which the host's CSP allows);
// - Vega-Lite / Vega: not rendered (no Vega bundled); their image form if the output has one,
//   else the spec as text;
// - text as text.
export function viewerHtml(plotlyUri: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Notebook output</title>
<style>
:root { color-scheme: light dark; }
body { margin: 0; padding: 8px 10px; font-family: var(--font-sans, system-ui, sans-serif); font-size: var(--font-text-sm-size, 13px);
  color: var(--color-text-primary, CanvasText); background: var(--color-background-primary, Canvas); }
.item { margin: 0 0 12px 0; }
.caption { color: var(--color-text-secondary, GrayText); font-size: var(--font-text-xs-size, 12px); margin-bottom: 4px; }
.plot { width: 100%; min-height: 360px; }
img { max-width: 100%; height: auto; background: #fff; }
.table { overflow: auto; max-height: 480px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--color-border-secondary, rgba(128,128,128,.35)); padding: 2px 8px; text-align: right; white-space: nowrap; }
th { background: var(--color-background-secondary, rgba(128,128,128,.12)); }
pre { margin: 0; padding: 6px; overflow: auto; max-height: 360px; font-family: var(--font-mono, ui-monospace, monospace);
  background: var(--color-background-secondary, rgba(128,128,128,.08)); white-space: pre-wrap; }
.note { color: var(--color-text-secondary, GrayText); font-style: italic; margin: 4px 0; }
.error { color: var(--color-text-danger, #c00); }
</style>
</head>
<body>
<div id="root"><div class="note">Waiting for the tool result…</div></div>
<script>
(() => {
  'use strict';
  const PLOTLY_URI = ${JSON.stringify(plotlyUri)};
  const root = document.getElementById('root');
  let nextId = 1;
  const pending = new Map();
  const send = (msg) => window.parent.postMessage(msg, '*');
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    send({ jsonrpc: '2.0', id, method, params });
  });
  const notify = (method, params) => send({ jsonrpc: '2.0', method, params });

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || m.jsonrpc !== '2.0') return;
    if (m.method === undefined && m.id !== undefined && pending.has(m.id)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message || 'request failed'));
      else p.resolve(m.result);
      return;
    }
    if (m.method === 'ui/notifications/tool-result') void show(m.params);
    else if (m.method === 'ui/notifications/host-context-changed') applyContext(m.params);
    else if (m.method === 'ui/resource-teardown' && m.id !== undefined) send({ jsonrpc: '2.0', id: m.id, result: {} });
  });

  function applyContext(ctx) {
    if (!ctx) return;
    const vars = ctx.styles && ctx.styles.variables;
    if (vars) for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' && k.startsWith('--')) document.documentElement.style.setProperty(k, v);
    if (ctx.theme === 'dark' || ctx.theme === 'light') document.documentElement.style.colorScheme = ctx.theme;
  }

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // The notebook's HTML, rebuilt from an allowlist: tags kept, attributes only colspan/rowspan/align.
  const KEEP = new Set(['TABLE','THEAD','TBODY','TFOOT','TR','TH','TD','CAPTION','COLGROUP','COL','DIV','SPAN','P','B','I','EM','STRONG','BR','CODE','PRE','SMALL','SUB','SUP','UL','OL','LI','H1','H2','H3','H4','H5','H6','HR']);
  const DROP = new Set(['SCRIPT','STYLE','IFRAME','FRAME','OBJECT','EMBED','LINK','META','BASE','FORM','INPUT','BUTTON','TEXTAREA','SELECT','TEMPLATE','NOSCRIPT','SVG','MATH','IMG','VIDEO','AUDIO','SOURCE','CANVAS']);
  function rebuild(node, into) {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) { into.appendChild(document.createTextNode(child.nodeValue)); continue; }
      if (child.nodeType !== 1) continue;
      const tag = child.tagName.toUpperCase();
      if (DROP.has(tag)) continue;
      if (!KEEP.has(tag)) { rebuild(child, into); continue; }
      const copy = document.createElement(tag.toLowerCase());
      for (const a of ['colspan', 'rowspan', 'align']) {
        const v = child.getAttribute(a);
        if (v !== null && /^[a-z0-9]{1,10}$/i.test(v)) copy.setAttribute(a, v);
      }
      rebuild(child, copy);
      into.appendChild(copy);
    }
  }
  function safeHtml(html) {
    const parsed = new DOMParser().parseFromString(html, 'text/html');
    const box = el('div', 'table');
    rebuild(parsed.body, box);
    return box;
  }

  let plotly;
  function loadPlotly() {
    if (!plotly) plotly = request('resources/read', { uri: PLOTLY_URI }).then((r) => {
      const text = r && r.contents && r.contents[0] && r.contents[0].text;
      if (!text) throw new Error('plotly.js was not returned');
      const s = document.createElement('script');
      s.textContent = text;
      document.head.appendChild(s);
      if (!window.Plotly) throw new Error('plotly.js did not load');
      return window.Plotly;
    });
    return plotly;
  }

  const utf8ToBase64 = (s) => {
    const bytes = new TextEncoder().encode(s);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  };

  function image(mime, data) {
    const img = el('img');
    img.alt = mime;
    img.src = 'data:' + mime + ';base64,' + data;
    return img;
  }

  async function render(contents) {
    const by = new Map(contents.map((c) => [c.mimeType, c]));
    const pick = (re) => contents.find((c) => re.test(c.mimeType));
    const plot = by.get('application/vnd.plotly.v1+json');
    const picture = pick(/^image\\/(png|jpeg|gif)$/);
    const svg = by.get('image/svg+xml');
    if (plot) {
      try {
        const P = await loadPlotly();
        const fig = JSON.parse(plot.text);
        const div = el('div', 'plot');
        await P.newPlot(div, fig.data || [], Object.assign({ autosize: true }, fig.layout || {}), { responsive: true, displaylogo: false });
        return [div, 'Plotly figure'];
      } catch (e) {
        if (!picture && !svg) return [el('div', 'note error', 'This Plotly figure could not be drawn here (' + e.message + ').'), 'Plotly figure'];
      }
    }
    const html = by.get('text/html');
    if (html) return [safeHtml(html.text), 'table (HTML)'];
    if (picture) return [image(picture.mimeType, picture.blob), picture.mimeType];
    if (svg) return [image('image/svg+xml', utf8ToBase64(svg.text)), 'image/svg+xml'];
    const vega = pick(/^application\\/vnd\\.(vegalite|vega)\\./);
    if (vega) {
      const box = el('div');
      box.appendChild(el('div', 'note', 'Vega / Vega-Lite charts are not drawn by this viewer (it bundles no Vega); the spec:'));
      box.appendChild(el('pre', '', vega.text.length > 20000 ? vega.text.slice(0, 20000) + '\\n…' : vega.text));
      return [box, vega.mimeType];
    }
    const text = by.get('text/plain') || by.get('text/markdown') || by.get('text/latex') || contents.find((c) => typeof c.text === 'string');
    if (text) return [el('pre', '', text.text.length > 50000 ? text.text.slice(0, 50000) + '\\n…' : text.text), text.mimeType];
    return [el('div', 'note', 'Nothing this viewer can show (' + contents.map((c) => c.mimeType).join(', ') + ').'), ''];
  }

  async function show(result) {
    root.textContent = '';
    if (!result || result.isError) {
      const msg = result && result.content && result.content.map((c) => c.text || '').join('\\n');
      root.appendChild(el('div', 'note error', msg || 'The tool failed.'));
      return;
    }
    const sc = result.structuredContent || {};
    const outputs = Array.isArray(sc.outputs) ? sc.outputs : [];
    if (!outputs.length) root.appendChild(el('div', 'note', 'No output to show.'));
    for (const o of outputs) {
      const item = el('div', 'item');
      const caption = el('div', 'caption', sc.path + ' · cell ' + sc.cell_index + ' · output ' + o.output_index);
      item.appendChild(caption);
      root.appendChild(item);
      try {
        const r = await request('resources/read', { uri: o.uri });
        const [node, what] = await render((r && r.contents) || []);
        if (what) caption.textContent += ' · ' + what;
        item.appendChild(node);
      } catch (e) {
        item.appendChild(el('div', 'note error', 'Could not read ' + o.uri + ': ' + e.message));
      }
    }
  }

  let lastHeight = 0;
  const reportSize = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      notify('ui/notifications/size-changed', { width: Math.ceil(document.documentElement.getBoundingClientRect().width), height });
    }
  };
  new ResizeObserver(reportSize).observe(document.body);

  request('ui/initialize', { appInfo: { name: 'Jupyter MCP output viewer', version: '1' }, appCapabilities: { availableDisplayModes: ['inline'] }, protocolVersion: '2026-01-26' })
    .then((r) => { applyContext(r && r.hostContext); notify('ui/notifications/initialized', {}); reportSize(); })
    .catch((e) => { root.textContent = ''; root.appendChild(el('div', 'note error', 'The host did not start the view: ' + e.message)); });
})();
</script>
</body>
</html>
`;
}
