// Configuration for @vscode/test-cli (`npx vscode-test`), for machines that can download VS Code.
// On this project's machines VS Code cannot be downloaded: `npm test` runs the same compiled suite
// in code-server instead (test/host/host.test.ts). Build the suite first:
//   node scripts/build-host-tests.js
// @vscode/test-cli needs Node >= 22 (use the Node 24 of .vscode-host/ on Node 20 machines); with
// @vscode/test-electron@2.5.x (Node >= 16) the same suite runs through its own entry point:
//   require('@vscode/test-electron').runTests({
//     extensionDevelopmentPath: '.',
//     extensionTestsPath: './out/test/host/suite/index.js',
//     launchArgs: ['test/host/workspace', '--disable-extensions'],
//   })
// A plain object rather than defineConfig() so that this file loads without @vscode/test-cli.
export default {
  label: 'host',
  // Each compiled test file, as test/host/suite/index.js loads them in code-server.
  files: 'out/test/host/suite/**/*.test.js',
  // The smoke test opens test/host/workspace/smoke.ipynb and leaves it unchanged on disk.
  workspaceFolder: 'test/host/workspace',
  // 'stable', or the lowest supported version from package.json engines.vscode (1.101.0).
  version: process.env.VSCODE_TEST_VERSION || 'stable',
  launchArgs: ['--disable-extensions'],
  mocha: { ui: 'tdd', timeout: 30_000, color: false },
};
