// The node's log (cli/logging.ts): JSON lines with time, level and msg, or the message
// alone; failures at level error; events and requests with their fields.
import { strict as assert } from 'node:assert';
import { nodeLog } from '../../cli/logging.js';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  return { log: nodeLog(format, { write: (line: string) => lines.push(line) }), lines };
}

describe('the node log (pino)', () => {
  it('json: one object a line with an ISO time, the level by name and the message; failures at level error', () => {
    const { log, lines } = capture('json');
    log('created service abc');
    log('error: the application could not seal, not signing: boom');
    log('fatal: stack');
    const [created, failed, fatal] = lines.map((l) => JSON.parse(l));
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    assert.equal(created.msg, 'created service abc');
    assert.equal(created.level, 'info');
    assert.equal(new Date(created.time).toISOString(), created.time);
    assert.deepEqual(Object.keys(created).sort(), ['level', 'msg', 'time'], 'no pid or host name');
    assert.equal(failed.level, 'error');
    assert.equal(fatal.level, 'error');
    for (const message of ['eth_call failed: TypeError', 'peer handshake refused: bad certificate', 'cannot record the commit index: EIO']) {
      log(message);
      assert.equal(JSON.parse(lines.at(-1)!).level, 'error', message);
    }
  });

  it('events and requests carry their fields; appended entries are not logged', () => {
    const { log, lines } = capture('json');
    log.event!({ kind: 'role', role: 'primary', view: 3 });
    log.event!({ kind: 'appended', seqno: 4, bytes: 100, signature: false });
    log.event!({ kind: 'join-requested', nodeId: 'ab'.repeat(32) });
    log.request!({ methods: ['eth_call'], status: 200, errors: [3], durationMs: 1.23456 });
    const [role, join, request] = lines.map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual({ event: role.event, role: role.role, view: role.view, msg: role.msg }, { event: 'role', role: 'primary', view: 3, msg: 'view 3: this node is primary' });
    assert.equal(join.event, 'join-requested');
    assert.equal(join.nodeId, 'ab'.repeat(32));
    assert.deepEqual({ methods: request.methods, status: request.status, errors: request.errors, durationMs: request.durationMs }, { methods: ['eth_call'], status: 200, errors: [3], durationMs: 1.235 });
  });

  it('pretty: the message alone, a line each', () => {
    const { log, lines } = capture('pretty');
    log('created service abc');
    log.event!({ kind: 'vote', view: 2, votedFor: 'cd'.repeat(32) });
    log.event!({ kind: 'vote', view: 3, votedFor: undefined });
    log.request!({ methods: ['eth_chainId', 'other'], status: 200, errors: [], durationMs: 0.42 });
    assert.deepEqual(lines, ['created service abc\n', `view 2: voted for ${'cd'.repeat(8)}\n`, 'eth_chainId,other 200 0.4 ms\n']);
  });
});
