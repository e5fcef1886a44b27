// The progress notifications of one tool call and the one that ends them (src/server/progressLabel.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLabel } from '../../src/server/progressLabel';

type Sent = { method: string; params: Record<string, unknown> };

function recorder(): { sent: Sent[]; send: (n: Sent) => Promise<void> } {
  const sent: Sent[] = [];
  return { sent, send: async (n) => void sent.push(n) };
}

test('a call that reported a message ends with a notification that has none, its value still growing', async () => {
  const r = recorder();
  const p = progressLabel(r.send as never, 'tok');
  await p.report(1, 'Running: 0 s, 1 output');
  await p.report(2, 'Running: 5 s, 1 output');
  await p.end();
  assert.deepEqual(r.sent.map((n) => n.params), [
    { progressToken: 'tok', progress: 1, message: 'Running: 0 s, 1 output' },
    { progressToken: 'tok', progress: 2, message: 'Running: 5 s, 1 output' },
    { progressToken: 'tok', progress: 3 },
  ]);
  await p.end();
  assert.equal(r.sent.length, 3, 'ended twice');
});

test('with a total, the last notification reaches it', async () => {
  const r = recorder();
  const p = progressLabel(r.send as never, 7);
  await p.report(1.5, 'cell 2 of 3', 3);
  await p.end();
  assert.deepEqual(r.sent[1].params, { progressToken: 7, progress: 3, total: 3 });
});

test('nothing more when no message was shown, and nothing at all without a progress token', async () => {
  const quiet = recorder();
  const p = progressLabel(quiet.send as never, 'tok');
  await p.report(1);
  await p.end();
  assert.equal(quiet.sent.length, 1);
  const none = recorder();
  const q = progressLabel(none.send as never, undefined);
  await q.report(1, 'Running');
  await q.end();
  assert.deepEqual(none.sent, []);
});

test('a failing transport never throws into the tool', async () => {
  const p = progressLabel((async () => {
    throw new Error('closed');
  }) as never, 'tok');
  await p.report(1, 'Running');
  await p.end();
});
