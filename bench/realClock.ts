// Wall-clock time for benchmarks, optionally compressed by a scale factor so that long simulated
// operations (a 16 s mass erase) take less real time. With `scale` s, now() reports real elapsed
// milliseconds x s and sleep(ms) waits ms / s real milliseconds. Everything that takes time in the
// run (the simulator's busy and wire time, the engine's sleeps, and the JavaScript work between
// them) is measured on the same real timeline; only JavaScript overhead is magnified by s, which
// makes the scaled figures slightly pessimistic, never optimistic.
import type { Clock } from '../core/usb/transport.js';

/**
 * setTimeout is only good to about a millisecond, and even yielding with setImmediate overshoots by
 * ~0.4 ms: the last stretch is busy-waited. Only one flow runs in a benchmark (engine and
 * simulator take turns), so blocking the event loop for under 2 ms delays nothing else.
 */
const TIMER_SLACK_MS = 2;

export function realClock(options: { scale?: number } = {}): Clock {
  const scale = options.scale ?? 1;
  const origin = performance.now();
  return {
    now: () => (performance.now() - origin) * scale,
    async sleep(ms: number, signal?: AbortSignal): Promise<void> {
      const target = performance.now() + Math.max(0, ms) / scale;
      const coarse = target - performance.now() - TIMER_SLACK_MS;
      if (coarse > 0) await new Promise((resolve) => setTimeout(resolve, coarse));
      if (signal?.aborted) throw signal.reason;
      while (performance.now() < target) {
        // busy-wait: see TIMER_SLACK_MS
      }
    },
  };
}
