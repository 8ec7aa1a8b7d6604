// Real time, optionally sped up: the UI shows honest progress (phases, rates, ETA) while e2e runs
// the simulated bootloader `speed` times faster than the chip would. speed 1 is wall-clock time.
import type { TimerClock } from '../../core/simulator/clock.js';

export function scaledClock(speed: number): TimerClock {
  const startReal = Date.now();
  const toReal = (ms: number) => Math.max(0, ms / speed);
  return {
    now: () => startReal + (Date.now() - startReal) * speed,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          return;
        }
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
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
