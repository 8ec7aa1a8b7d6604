import { ScaledClock, scheduleOn, VirtualClock, type Clock, type HostTimers } from './clock.js';

describe('VirtualClock', () => {
  it('sleep advances virtual time at once and resolves without real waiting', async () => {
    const clock = new VirtualClock(1000);
    const realStart = Date.now();
    await clock.sleep(60_000);
    expect(clock.now()).toBe(61_000);
    expect(Date.now() - realStart).toBeLessThan(1000);
  });

  it('fires timers in deadline order while time passes, with now() at each deadline', () => {
    const clock = new VirtualClock();
    const fired: [string, number][] = [];
    clock.setTimer(30, () => fired.push(['b', clock.now()]));
    clock.setTimer(10, () => fired.push(['a', clock.now()]));
    const cancel = clock.setTimer(20, () => fired.push(['cancelled', clock.now()]));
    cancel();
    clock.advance(25);
    expect(fired).toEqual([['a', 10]]);
    clock.advance(10);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 30],
    ]);
    expect(clock.now()).toBe(35);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a sleep whose signal is already aborted, with the reason', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(clock.sleep(10, controller.signal)).rejects.toThrow('stop');
    expect(clock.now()).toBe(0);
  });

  it('scheduleOn uses setTimer when the clock has it and a detached sleep otherwise', async () => {
    const virtual = new VirtualClock();
    let count = 0;
    scheduleOn(virtual, 5, () => count++);
    expect(count).toBe(0);
    virtual.advance(5);
    expect(count).toBe(1);

    let slept = 0;
    const plain: Clock = { now: () => slept, sleep: (ms) => ((slept += ms), Promise.resolve()) };
    scheduleOn(plain, 7, () => count++);
    const cancel = scheduleOn(plain, 7, () => count++);
    cancel();
    await Promise.resolve();
    await Promise.resolve();
    expect(count).toBe(2);
    expect(slept).toBe(14);
  });
});

/** Host timers on a real time the test sets by hand (timers still run on Node's event loop). */
function manualTimers(start = 0): HostTimers & { real: number } {
  const timers = {
    real: start,
    now: () => timers.real,
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
    nextTurn: (callback: () => void) => void setImmediate(callback),
  };
  return timers;
}

describe('ScaledClock', () => {
  it('runs simulated time N times faster than the real time it reads, from its start', () => {
    const timers = manualTimers(1000);
    const clock = new ScaledClock(timers, { speed: 50 });
    expect(clock.now()).toBe(0);
    timers.real += 20;
    expect(clock.now()).toBe(1000);
    const wall = new ScaledClock(timers, { startMs: 1_700_000_000_000 });
    timers.real += 5;
    expect(wall.now()).toBe(1_700_000_000_005);
  });

  it('a sleep shorter than a real millisecond resolves on the next turn and moves time to its deadline', async () => {
    const clock = new ScaledClock(manualTimers(), { speed: 1000 });
    await clock.sleep(300);
    expect(clock.now()).toBe(300);
    await clock.sleep(5000);
    expect(clock.now()).toBeGreaterThanOrEqual(300);
  });

  it('rejects with the abort reason when the signal fires, and cancels its timer', async () => {
    const clock = new ScaledClock(manualTimers());
    const controller = new AbortController();
    const sleeping = clock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await expect(clock.sleep(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
