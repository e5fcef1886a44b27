// The CLI's stderr log sink (src/util/log.ts bufferedStderr): lines logged during a tool call are
// written after the turn that logged them (after the call's answer), together, in order, and a
// line logged just before the process exits is still written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { bufferedStderr, createStreamLogger } from '../../src/util/log';

test('lines of one turn are written once, after the turn, in order', async () => {
  const writes: string[] = [];
  const sink = bufferedStderr({ write: (t: string) => writes.push(t) });
  const log = createStreamLogger('info', sink.write);
  log.info('tool execute_cell k1 ok 9.1 ms');
  log.debug('not at this level');
  log.warn('second');
  assert.equal(writes.length, 0, 'nothing is written during the turn that logs');
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1, 'one write for the turn');
  const lines = writes[0].split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /info  tool execute_cell k1 ok 9\.1 ms$/);
  assert.match(lines[1], /warn  second$/);
  assert.equal(lines[2], '', 'ends with a newline');
  log.error('third');
  sink.flush();
  assert.equal(writes.length, 2, 'flush() writes at once');
  assert.match(writes[1], /error third\n$/);
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 2, 'nothing is written twice');
});

test('a line logged just before process.exit() is written', () => {
  const log = path.resolve(__dirname, '../../src/util/log.ts');
  const code = `const { bufferedStderr } = require(${JSON.stringify(log)}); const s = bufferedStderr(); s.write('first'); s.write('last before exit'); process.exit(3);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stderr, 'first\nlast before exit\n');
});
