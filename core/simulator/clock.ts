// Time for the simulator. Everything that takes time in a simulated bootloader (erase, program,
// USB transfers, re-enumeration) goes through a Clock, so tests run on virtual time and never
// really sleep, while benchmarks and the app pass a real clock.
import type { Clock } from '../usb/transport.js';

/**
 * A clock that can also run a callback later without making its caller wait: the simulator uses
 * it for things that happen on their own (a device re-enumerating after a reset, a user replugging
 * the board). A plain Clock is enough; `scheduleOn` falls back to a detached sleep.
 */
export interface TimerClock extends Clock {
  /** Calls `callback` once `ms` have passed. Returns a function that cancels it. */
  setTimer(ms: number, callback: () => void): () => void;
}

export function isTimerClock(clock: Clock): clock is TimerClock {
  return typeof (clock as Partial<TimerClock>).setTimer === 'function';
}

/** Runs `callback` after `ms` on any clock; returns a cancel function. */
export function scheduleOn(clock: Clock, ms: number, callback: () => void): () => void {
  if (isTimerClock(clock)) return clock.setTimer(ms, callback);
  let isCancelled = false;
  clock.sleep(ms).then(
    () => {
      if (!isCancelled) callback();
    },
    () => undefined,
  );
  return () => {
    isCancelled = true;
  };
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * Virtual time. `sleep(ms)` advances the clock by `ms` at once (firing any timer that falls due on
 * the way, in order) and resolves on a microtask, so a whole mass erase costs nothing in a test.
 * Concurrent sleepers therefore add up instead of overlapping: virtual time is a single timeline.
 */
export class VirtualClock implements TimerClock {
  private currentMs: number;
  private timers: Timer[] = [];
  private nextTimerId = 1;

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  now(): number {
    return this.currentMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      return Promise.reject(reason instanceof Error ? reason : new Error(String(reason)));
    }
    this.advance(ms);
    return Promise.resolve();
  }

  /** Moves time forward synchronously, firing due timers in deadline order. */
  advance(ms: number): void {
    if (!(ms > 0)) return;
    const target = this.currentMs + ms;
    for (;;) {
      const due = this.earliestTimerBy(target);
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer.id !== due.id);
      this.currentMs = Math.max(this.currentMs, due.at);
      due.callback();
    }
    this.currentMs = target;
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer: Timer = { id: this.nextTimerId++, at: this.currentMs + Math.max(0, ms), callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((candidate) => candidate.id !== timer.id);
    };
  }

  /** Number of timers still waiting (tests use it to check nothing is left behind). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  private earliestTimerBy(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.at <= limit && (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id))) best = timer;
    }
    return best;
  }
}
