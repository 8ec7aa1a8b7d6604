// What a session reports while it works: phases with start, progress and finish (or failed), and log
// lines. PhaseReporter owns the bookkeeping and the ordering guarantee; what the device must be
// brought back to after a phase is the link's business (link.ts).
import type { Clock } from '../clock.js';
import { DfuError, describe as describeError, type DfuErrorInfo } from '../errors.js';
import { transferRate } from '../format.js';

export type SessionPhase = 'connect' | 'read' | 'erase' | 'write' | 'verify' | 'leave' | 'option-bytes';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Events, in this order for each call: for every phase it runs, exactly one
 * `{type:'phase', status:'start'}`, then zero or more `progress` events whose `done` never
 * decreases and whose last `done` equals `total` (bytes), then exactly one `finish` — or one
 * `failed` when an error ends the phase, after which the call rejects and emits nothing more.
 * Phases never overlap; program() runs read (when needed), erase, write, verify, leave in that
 * order, each once for all regions. `log` events may come at any time.
 */
export type SessionEvent =
  | {
      readonly type: 'phase';
      readonly phase: SessionPhase;
      readonly status: 'start' | 'finish' | 'failed';
      /** Bytes this phase covers (start), or handled (finish). */
      readonly bytes: number;
      /** Set on finish and failed. */
      readonly elapsedMs?: number;
      readonly error?: DfuErrorInfo;
    }
  | {
      readonly type: 'progress';
      readonly phase: SessionPhase;
      readonly done: number;
      readonly total: number;
      readonly elapsedMs: number;
      readonly bytesPerSecond: number;
    }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly data?: Readonly<Record<string, unknown>> };

export interface PhaseTiming {
  readonly phase: SessionPhase;
  readonly elapsedMs: number;
  readonly bytes: number;
}

/** Progress bookkeeping for one phase. */
export class PhaseRun {
  readonly startedAt: number;
  done = 0;

  constructor(
    readonly phase: SessionPhase,
    readonly total: number,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  get elapsedMs(): number {
    return this.clock.now() - this.startedAt;
  }
}

/** What the reporter needs from the link around a phase (link.ts DeviceLink implements it). */
export interface PhaseBoundary {
  readonly isGone: boolean;
  /** After the body succeeded: hand the device back in dfuIDLE. */
  finishPhase(phase: SessionPhase): Promise<void>;
  /** After the body failed: bring the device back where possible; returns the error to report. */
  failPhase(caught: unknown, phase: SessionPhase): Promise<DfuError>;
}

export class PhaseReporter {
  constructor(
    private readonly clock: Clock,
    private readonly emit: (event: SessionEvent) => void,
  ) {}

  log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    this.emit({ type: 'log', level, message, ...(data ? { data } : {}) });
  }

  progress(run: PhaseRun, bytes: number): void {
    run.done = Math.min(run.total, run.done + bytes);
    const elapsedMs = run.elapsedMs;
    this.emit({ type: 'progress', phase: run.phase, done: run.done, total: run.total, elapsedMs, bytesPerSecond: transferRate(run.done, elapsedMs) });
  }

  /**
   * Runs one phase with its start/finish events. On failure the boundary brings the device back,
   * a 'failed' event is emitted, and the error is rethrown.
   */
  async run(
    phase: SessionPhase,
    total: number,
    boundary: PhaseBoundary,
    checkCancelled: () => void,
    body: (run: PhaseRun) => Promise<void>,
  ): Promise<PhaseTiming> {
    if (boundary.isGone && phase !== 'connect') throw new DfuError({ kind: 'device-gone', during: phase });
    checkCancelled();
    const run = new PhaseRun(phase, total, this.clock);
    this.emit({ type: 'phase', phase, status: 'start', bytes: total });
    try {
      await body(run);
      await boundary.finishPhase(phase);
    } catch (caught) {
      const error = await boundary.failPhase(caught, phase);
      this.log('error', describeError(error.info), { phase });
      this.emit({ type: 'phase', phase, status: 'failed', bytes: run.done, elapsedMs: run.elapsedMs, error: error.info });
      throw error;
    }
    this.emit({ type: 'phase', phase, status: 'finish', bytes: run.done, elapsedMs: run.elapsedMs });
    return { phase, elapsedMs: run.elapsedMs, bytes: run.done };
  }
}
