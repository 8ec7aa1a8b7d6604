// Real time, optionally running faster. Simulated bootloaders in the CLI take as long as real ones
// (an L073 erase of 522 pages lasts seconds), which is what a user trying dfu-desk expects;
// --sim-speed N makes them N times faster so the CLI tests stay quick while still running on a
// real event loop with real concurrency between devices.
import type { TimerClock } from '../../core/simulator/clock.js';

export class ScaledClock implements TimerClock {
  private readonly origin: number;
  /** Deadlines of sub-millisecond timers that fired early; now() never reads below them. */
  private floor = 0;

  constructor(
    private readonly speed: number,
    private readonly realNow: () => number,
  ) {
    this.origin = realNow();
  }

  /** Simulated milliseconds since the clock was made. */
  now(): number {
    return Math.max(this.floor, (this.realNow() - this.origin) * this.speed);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        cancel();
        reject(abortReason(signal));
      };
      const cancel = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, callback: () => void): () => void {
    const realMs = Math.max(0, ms) / this.speed;
    // Below a millisecond setTimeout would round up to 1 ms and make a fast simulation slow again,
    // so such timers fire on the next turn and time jumps to their deadline: whoever slept `ms`
    // sees at least `ms` pass, as with any clock.
    if (realMs < 1) {
      const deadline = this.now() + Math.max(0, ms);
      let isCancelled = false;
      setImmediate(() => {
        if (isCancelled) return;
        this.floor = Math.max(this.floor, deadline);
        callback();
      });
      return () => {
        isCancelled = true;
      };
    }
    const timer = setTimeout(callback, realMs);
    return () => clearTimeout(timer);
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'aborted');
}
