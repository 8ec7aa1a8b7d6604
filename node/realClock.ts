// Real time for the app, the CLI and the browser test host: core's ScaledClock (core/clock.ts) on
// Node's timers. The engine and the simulator take any Clock; tests pass a VirtualClock.
import { performance } from 'node:perf_hooks';
import { ScaledClock, type HostTimers, type TimerClock } from '../core/clock.js';

export const nodeTimers: HostTimers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  nextTurn: (callback) => void setImmediate(callback),
};

/**
 * Wall-clock time running `speed` times faster: now() is epoch milliseconds when the clock is made
 * and then advances `speed` ms per real ms. The e2e host and `npm run preview` use it so simulated
 * boards show honest progress, faster.
 */
export function scaledRealClock(speed: number): TimerClock {
  return new ScaledClock(nodeTimers, { speed, startMs: Date.now() });
}

export const realClock: TimerClock = scaledRealClock(1);
