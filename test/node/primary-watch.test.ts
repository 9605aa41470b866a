// The primary watch tells its listeners of each change of the known primary, once.
import { strict as assert } from 'node:assert';
import { PrimaryWatch } from '../../core/node/primary-watch.js';

describe('node / primary watch', () => {
  it('tells each listener of every change once, none of a check that changed nothing, and stops after unsubscribe', () => {
    let primary: string | undefined;
    const watch = new PrimaryWatch(() => primary);
    const heard: (string | undefined)[] = [];
    const other: (string | undefined)[] = [];
    const stop = watch.subscribe((p) => heard.push(p));
    watch.subscribe((p) => other.push(p));
    watch.check(); // still none
    primary = 'a';
    watch.check();
    watch.check();
    primary = undefined; // an election under way
    watch.check();
    primary = 'b';
    stop();
    watch.check();
    assert.deepEqual(heard, ['a', undefined]);
    assert.deepEqual(other, ['a', undefined, 'b']);
  });
});
