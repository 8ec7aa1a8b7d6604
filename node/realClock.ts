// Wall-clock time for the app (the simulator and the engine take any Clock; tests pass VirtualClock).

import type { TimerClock } from '../core/simulator/clock.js';

function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * Wall-clock time running `speed` times faster: now() stays epoch milliseconds at the moment the
 * clock is made and then advances `speed` ms per real ms; sleeps and timers last ms / speed real ms.
 * The e2e host and `npm run preview` use it so simulated boards show honest progress, faster.
 */
export function scaledRealClock(speed: number): TimerClock {
  const startReal = Date.now();
  const toReal = (ms: number) => Math.max(0, ms) / speed;
  return {
    now: () => startReal + (Date.now() - startReal) * speed,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        const onAbort = () => {
          clearTimeout(timer);
          reject(abortReason(signal));
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, toReal(ms));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    setTimer(ms, callback) {
      const timer = setTimeout(callback, toReal(ms));
      return () => clearTimeout(timer);
    },
  };
}

export const realClock: TimerClock = scaledRealClock(1);
