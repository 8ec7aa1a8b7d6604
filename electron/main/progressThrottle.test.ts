import type { ProgressEvent } from './progressThrottle.js';
import { ProgressThrottle } from './progressThrottle.js';

describe('ProgressThrottle', () => {
  function setup() {
    let now = 1000;
    const events: ProgressEvent[] = [];
    const throttle = new ProgressThrottle({ now: () => now, deviceId: 'sim:1', emit: (event) => events.push(event) });
    return { throttle, events, advance: (ms: number) => (now += ms) };
  }

  it('delivers at most one update per 50 ms', () => {
    const { throttle, events, advance } = setup();
    throttle.phaseStarted();
    for (let done = 1; done < 1000; done += 1) {
      advance(1);
      throttle.progress('write', done, 1000);
    }
    // 999 ms of updates: the first, then one per 50 ms.
    expect(events.length).toBeLessThanOrEqual(Math.ceil(999 / 50) + 1);
    expect(events.length).toBeGreaterThanOrEqual(19);
    for (let index = 1; index < events.length; index += 1) {
      expect(events[index]!.done).toBeGreaterThan(events[index - 1]!.done);
    }
  });

  it('always delivers the final update of a phase', () => {
    const { throttle, events, advance } = setup();
    throttle.phaseStarted();
    throttle.progress('erase', 1, 10);
    advance(1);
    throttle.progress('erase', 2, 10);
    throttle.progress('erase', 10, 10);
    expect(events.map((event) => event.done)).toEqual([1, 10]);
  });

  it('flushes a held-back update before the phase ends', () => {
    const { throttle, events, advance } = setup();
    throttle.phaseStarted();
    throttle.progress('verify', 100, 400);
    advance(10);
    throttle.progress('verify', 300, 400);
    expect(events.map((event) => event.done)).toEqual([100]);
    throttle.flush();
    throttle.flush();
    expect(events.map((event) => event.done)).toEqual([100, 300]);
  });

  it('computes the rate since the phase started and the remaining time', () => {
    const { throttle, events, advance } = setup();
    throttle.phaseStarted();
    advance(500);
    throttle.progress('write', 1000, 3000);
    expect(events[0]).toEqual({ type: 'progress', phase: 'write', deviceId: 'sim:1', done: 1000, total: 3000, bytesPerSecond: 2000, etaMs: 1000 });
  });
});
