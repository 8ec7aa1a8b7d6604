// Time, in one place. The engine, the simulator and the front ends take a Clock instead of reading
// time themselves: tests pass a VirtualClock (a whole mass erase costs nothing), the app and the CLI
// a ScaledClock over the host's timers (node/realClock.ts), optionally running faster so simulated
// boards take seconds instead of minutes. (bench/realClock.ts busy-waits its last 2 ms for
// measurement precision; that is a benchmark instrument, not a clock for the product.)

/** Time, injected so tests never really sleep. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

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

/** What a real clock needs from its host (Node: performance.now, setTimeout, setImmediate). */
export interface HostTimers {
  /** Monotonic real milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `callback` on the next event-loop turn, before any timer. */
  nextTurn(callback: () => void): void;
}

export interface ScaledClockOptions {
  /** Simulated milliseconds per real millisecond (default 1: real time). */
  readonly speed?: number;
  /** What now() reads when the clock is made (default 0; the app passes the epoch time). */
  readonly startMs?: number;
}

/**
 * Real time on the host's timers, optionally `speed` times faster: now() advances `speed` ms per
 * real ms from `startMs`; sleeps and timers last ms / speed real ms. Timers shorter than a real
 * millisecond (which setTimeout would round up to 1 ms, making a fast simulation slow again) fire
 * on the next turn and move now() to their deadline, so whoever waited `ms` sees at least `ms` pass.
 */
export class ScaledClock implements TimerClock {
  private readonly speed: number;
  private readonly startMs: number;
  private readonly realOrigin: number;
  /** Deadlines of sub-millisecond timers that fired early; now() never reads below them. */
  private floor = 0;

  constructor(
    private readonly timers: HostTimers,
    options: ScaledClockOptions = {},
  ) {
    this.speed = options.speed ?? 1;
    this.startMs = options.startMs ?? 0;
    this.realOrigin = timers.now();
  }

  now(): number {
    return this.startMs + Math.max(this.floor, (this.timers.now() - this.realOrigin) * this.speed);
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
    if (realMs < 1) {
      const deadline = this.now() - this.startMs + Math.max(0, ms);
      let isCancelled = false;
      this.timers.nextTurn(() => {
        if (isCancelled) return;
        this.floor = Math.max(this.floor, deadline);
        callback();
      });
      return () => {
        isCancelled = true;
      };
    }
    const handle = this.timers.setTimeout(callback, realMs);
    return () => this.timers.clearTimeout(handle);
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'aborted');
}
