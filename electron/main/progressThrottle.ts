// Progress for the window: at most one event per 50 ms (20 Hz, the contract's promise in
// core/api.ts), with the rate and ETA computed here. The last progress of a phase is never dropped:
// a held-back update is delivered before the phase's finish event.

import { remainingMs, transferRate } from '../../core/format.js';
import type { Phase, ProgrammerEvent } from '../../core/contract/programmer.js';

export type ProgressEvent = Extract<ProgrammerEvent, { type: 'progress' }>;

export const PROGRESS_INTERVAL_MS = 50;

export class ProgressThrottle {
  private readonly now: () => number;
  private readonly emit: (event: ProgressEvent) => void;
  private readonly deviceId: string;
  private phaseStartedAt = 0;
  private lastEmittedAt = Number.NEGATIVE_INFINITY;
  private pending: ProgressEvent | undefined;

  constructor(options: { now: () => number; deviceId: string; emit: (event: ProgressEvent) => void }) {
    this.now = options.now;
    this.emit = options.emit;
    this.deviceId = options.deviceId;
  }

  phaseStarted(): void {
    this.pending = undefined;
    this.phaseStartedAt = this.now();
    this.lastEmittedAt = Number.NEGATIVE_INFINITY;
  }

  progress(phase: Phase, done: number, total: number): void {
    const now = this.now();
    const elapsedMs = now - this.phaseStartedAt;
    const bytesPerSecond = transferRate(done, elapsedMs);
    const etaMs = remainingMs(done, total, bytesPerSecond);
    const event: ProgressEvent = {
      type: 'progress',
      phase,
      deviceId: this.deviceId,
      done,
      total,
      bytesPerSecond,
      ...(etaMs !== undefined ? { etaMs } : {}),
    };
    if (done >= total || now - this.lastEmittedAt >= PROGRESS_INTERVAL_MS) {
      this.pending = undefined;
      this.lastEmittedAt = now;
      this.emit(event);
    } else {
      this.pending = event;
    }
  }

  /** Delivers a held-back update; call before emitting the phase's finish. */
  flush(): void {
    if (!this.pending) return;
    const event = this.pending;
    this.pending = undefined;
    this.lastEmittedAt = this.now();
    this.emit(event);
  }
}
