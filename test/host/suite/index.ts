// Entry point the extension host loads as `extensionTestsPath`: runs every `*.test.js` compiled next
// to this file with mocha (bundled into this file by scripts/build-host-tests.js). The workbench
// reports the outcome through `codeAutomationExit`: run() resolving means 0, rejecting means 1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.js'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    color: false,
    // A hang guard, not a speed check: tests wait on events, and on a loaded machine (two cores
    // shared with other work) a test that takes 5 s idle took over 30 s.
    timeout: Number(process.env.JUPYTER_MCP_HOST_TEST_TIMEOUT) || 120_000,
    grep: process.env.JUPYTER_MCP_HOST_TEST_GREP || undefined,
  });
  // `color: false` is not enough when supports-color sees CI=true.
  Mocha.reporters.Base.useColors = false;
  const files = findTests(__dirname);
  if (files.length === 0) throw new Error(`no *.test.js next to ${__dirname}: run scripts/build-host-tests.js`);
  // While tests run, VS Code sends extension-host console output to the workbench's log unmarked,
  // among its own messages (and ignores assignments to console.log). Mark the report, as VS Code
  // marks console output outside test runs, so that test/host/harness.ts can tell it apart.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(`[Extension Host] ${format(...args)}`);
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} host test(s) failed`);
}
