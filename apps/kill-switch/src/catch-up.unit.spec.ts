import { JsonLogger } from '@iris/observability';
import { CatchUp } from './catch-up';

const logger = new JsonLogger('kill-switch', 'error');

describe('CatchUp', () => {
  it('is caught up once every partition that held records reached its end offset at start', async () => {
    const catchUp = new CatchUp('t');
    await catchUp.begin(async () => [{ partition: 0, low: 0, high: 3 }, { partition: 1, low: 5, high: 5 }, { partition: 2, low: 0, high: 1 }], logger);
    expect(catchUp.caughtUp).toBe(false);
    catchUp.progress(0, '2');
    expect(catchUp.caughtUp).toBe(false);
    catchUp.progress(2, '0');
    expect(catchUp.caughtUp).toBe(true);
  });

  it('an empty topic, no probe, or a failing probe count as read', async () => {
    const empty = new CatchUp('t');
    await empty.begin(async () => [{ partition: 0, low: 0, high: 0 }], logger);
    const none = new CatchUp('t');
    await none.begin(undefined, logger);
    const failing = new CatchUp('t');
    await failing.begin(async () => Promise.reject(new Error('broker down')), logger);
    expect([empty.caughtUp, none.caughtUp, failing.caughtUp]).toEqual([true, true, true]);
  });
});
