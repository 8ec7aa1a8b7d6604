// The jobs running in the app, one per device at most: their cancel switch, their progress (from
// the session's events, throttled for the window) and the phase timings they collect. The service
// decides what a job does; this table keeps track of it while it runs.
import type { AnnouncedPhase, JobKind, JobState, Phase, PhaseTiming, ProgrammerEvent } from '../../core/contract/programmer.js';
import type { SessionEvent } from '../../core/dfuse/session.js';
import { DfuError } from '../../core/errors.js';
import type { LogBook } from './logBook.js';
import { ProgressThrottle } from './progressThrottle.js';

export interface Job {
  readonly kind: JobKind;
  readonly deviceId: string;
  readonly controller: AbortController;
  readonly throttle: ProgressThrottle;
  readonly timings: PhaseTiming[];
  state: JobState;
}

export interface JobTableOptions {
  readonly now: () => number;
  readonly emit: (event: ProgrammerEvent) => void;
  readonly log: LogBook;
  /** A phase starting on this device changes what the window shows: send a new snapshot. */
  readonly onPhaseStart: (deviceId: string) => void;
}

export class JobTable {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly options: JobTableOptions) {}

  get(deviceId: string): Job | undefined {
    return this.jobs.get(deviceId);
  }

  has(deviceId: string): boolean {
    return this.jobs.has(deviceId);
  }

  /** Refuses a second job on a device (DfuError 'busy'). */
  ensureIdle(deviceId: string): void {
    const job = this.jobs.get(deviceId);
    if (job) throw new DfuError({ kind: 'busy', reason: `a ${job.kind} job is already running on ${deviceId}` });
  }

  start(kind: JobKind, deviceId: string, phases: readonly AnnouncedPhase[] = []): Job {
    this.ensureIdle(deviceId);
    const { now, emit } = this.options;
    const job: Job = {
      kind,
      deviceId,
      controller: new AbortController(),
      timings: [],
      throttle: new ProgressThrottle({ now, deviceId, emit }),
      state: { kind, deviceId, phases, done: 0, total: 0, startedAt: now() },
    };
    this.jobs.set(deviceId, job);
    return job;
  }

  /** The phases a job runs, once known (a flash job knows them after planning, before it starts). */
  announce(deviceId: string, phases: readonly AnnouncedPhase[]): void {
    const job = this.jobs.get(deviceId);
    if (job) job.state = { ...job.state, phases };
  }

  finish(deviceId: string): void {
    this.jobs.delete(deviceId);
  }

  /** True while any device is being erased or written (the window asks before closing). */
  isWriting(): boolean {
    return [...this.jobs.values()].some((job) => job.kind !== 'read' && job.kind !== 'verify' && job.kind !== 'option-bytes-read');
  }

  /** Stops the job on `deviceId`, or every job when none is given, at its next safe point. */
  cancel(deviceId?: string): void {
    const selected = deviceId !== undefined ? this.jobs.get(deviceId) : undefined;
    for (const job of selected ? [selected] : [...this.jobs.values()]) {
      this.options.log.add('info', 'app', `cancelling ${job.kind}; the device stops at the next safe point`, job.deviceId);
      job.controller.abort();
    }
  }

  abortAll(): void {
    for (const job of this.jobs.values()) job.controller.abort();
  }

  /** A session event of `deviceId`: log lines, progress and phases, named by the running job. */
  onSessionEvent(deviceId: string, event: SessionEvent): void {
    const job = this.jobs.get(deviceId);
    const { emit, log } = this.options;
    switch (event.type) {
      case 'log':
        log.add(event.level, job?.state.phase ?? job?.kind ?? 'usb', event.message, deviceId);
        return;
      case 'progress':
        if (job) {
          job.state = { ...job.state, done: event.done, total: event.total };
          job.throttle.progress(event.phase, event.done, event.total);
        }
        return;
      case 'phase': {
        const phase: Phase = event.phase;
        if (event.status === 'start') {
          if (job) {
            job.state = { ...job.state, phase, done: 0, total: event.bytes };
            job.throttle.phaseStarted();
          }
          // Only a job's phases reach the window: the connect of a board is not a job to show.
          if (!job) return;
          emit({ type: 'phase', phase, status: 'start', deviceId });
          this.options.onPhaseStart(deviceId);
          return;
        }
        if (!job) return;
        job.throttle.flush();
        job.timings.push({ phase, elapsedMs: event.elapsedMs ?? 0, bytes: event.bytes });
        // A failed phase also ends here: 'finish' closes it for the window, the JobResult says why.
        emit({ type: 'phase', phase, status: 'finish', deviceId });
        return;
      }
    }
  }
}
