// Child process of the start-up bench: loads dist/extension.js against a minimal fake `vscode`
// module and times require() + activate() — the extension's own code, without VS Code's.
//   node bench/activation-child.js [--auto-start]   prints one JSON line
const Module = require('module');
const path = require('path');
const os = require('os');

const t0 = performance.now();
const autoStart = process.argv.includes('--auto-start');
const channelLines = [];

// Any property is a callable, constructible stub; a few APIs return real values.
function stub() {
  const cache = new Map();
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, p) {
      if (p === 'then') return undefined;
      if (p === Symbol.toPrimitive) return () => '';
      if (p === Symbol.iterator) return undefined;
      if (!cache.has(p)) cache.set(p, stub());
      return cache.get(p);
    },
    set(_t, p, v) {
      cache.set(p, v);
      return true;
    },
    apply: () => stub(),
    construct: () => stub(),
  });
}
const settings = { autoStart, port: 0, saveAfterEdit: true, jupyterServerUrl: '', executionTimeout: 300, maxOutputChars: 20000, maxImageKb: 512, maxResultChars: 40000 };
const base = stub();
// esbuild's ESM interop copies own properties: list every API name the extension may touch.
const NAMES = [
  'EventEmitter', 'Disposable', 'Uri', 'StatusBarAlignment', 'ThemeColor', 'ThemeIcon', 'ConfigurationTarget', 'QuickPickItemKind',
  'McpHttpServerDefinition', 'McpStdioServerDefinition', 'lm', 'commands', 'env', 'extensions', 'languages', 'notebooks',
  'NotebookEdit', 'WorkspaceEdit', 'NotebookCellData', 'NotebookCellKind', 'NotebookRange', 'NotebookCellOutput',
  'NotebookCellOutputItem', 'NotebookData', 'ProgressLocation', 'ViewColumn', 'MarkdownString', 'CancellationTokenSource',
  'RelativePattern', 'FileType', 'LogLevel', 'TreeItem', 'Range', 'Position', 'Selection', 'UIKind', 'ExtensionMode',
  'NotebookControllerAffinity', 'NotebookCellExecutionState', 'debug', 'tasks', 'authentication', 'l10n', 'chat', 'tests',
];
const vscode = { version: '1.101.0' };
for (const n of NAMES) vscode[n] = base[n];
vscode.workspace = new Proxy(
  {
    getConfiguration: () => ({ get: (k, d) => (k in settings ? settings[k] : d), update: async () => undefined, inspect: () => undefined }),
    workspaceFolders: undefined, // the server's start stops at "open a folder first"
    isTrusted: true,
    onDidChangeConfiguration: () => ({ dispose() {} }),
    onDidChangeWorkspaceFolders: () => ({ dispose() {} }),
  },
  { get: (t, p) => (p in t ? t[p] : base.workspace[p]) },
);
vscode.window = new Proxy(
  {
    createOutputChannel: () => {
      const ch = { name: 'Jupyter MCP', dispose() {}, show() {}, append() {}, appendLine() {}, clear() {} };
      for (const level of ['trace', 'debug', 'info', 'warn', 'error']) ch[level] = (m) => channelLines.push(`${level} ${m}`);
      return ch;
    },
  },
  { get: (t, p) => (p in t ? t[p] : base.window[p]) },
);

const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return 'vscode';
  return origResolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };

const context = {
  subscriptions: [],
  extensionPath: path.join(__dirname, '..'),
  extensionUri: { fsPath: path.join(__dirname, '..'), scheme: 'file' },
  globalStorageUri: { fsPath: os.tmpdir(), scheme: 'file' },
  secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) },
  globalState: { get: () => undefined, update: async () => undefined, keys: () => [] },
  workspaceState: { get: () => undefined, update: async () => undefined, keys: () => [] },
  environmentVariableCollection: stub(),
  extensionMode: 1,
  logUri: { fsPath: os.tmpdir() },
};

const fakeReady = performance.now();
const t1 = performance.now();
const ext = require(path.join(__dirname, '..', 'dist', 'extension.js'));
const t2 = performance.now();
const api = ext.activate(context);
const t3 = performance.now();
setTimeout(() => {
  const logged = channelLines.map((l) => /activated in ([\d.]+) ms/.exec(l)).find(Boolean);
  process.stdout.write(
    JSON.stringify({
      requireMs: t2 - t1,
      activateMs: t3 - t2,
      totalMs: t3 - t1,
      selfReportedMs: api && typeof api.activationMs === 'number' ? api.activationMs : logged ? Number(logged[1]) : null,
      fakeSetupMs: fakeReady - t0,
      subscriptions: context.subscriptions.length,
      modulesLoaded: Object.keys(require.cache).length,
    }) + '\n',
  );
  process.exit(0);
}, 50);
