import { remainingMs, transferRate } from '../../core/format.js';

// Rate and ETA per (device, phase). The rate is measured over the whole phase so far: a flash is
// short and steady, and a moving window would only add jitter to the ETA.

export interface ProgressSample {
  readonly done: number;
  readonly total: number;
  readonly bytesPerSecond: number;
  readonly etaMs?: number;
  readonly elapsedMs: number;
}

export class ProgressTracker {
  private readonly startedAt = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  start(key: string): void {
    this.startedAt.set(key, this.now());
  }

  /** Milliseconds since start(key); 0 if the phase never started. */
  elapsed(key: string): number {
    const started = this.startedAt.get(key);
    return started === undefined ? 0 : this.now() - started;
  }

  sample(key: string, done: number, total: number): ProgressSample {
    if (!this.startedAt.has(key)) this.start(key);
    const elapsedMs = this.elapsed(key);
    const bytesPerSecond = transferRate(done, elapsedMs);
    const etaMs = remainingMs(Math.min(done, total), total, bytesPerSecond);
    return { done, total, bytesPerSecond, elapsedMs, ...(etaMs !== undefined ? { etaMs } : {}) };
  }
}
