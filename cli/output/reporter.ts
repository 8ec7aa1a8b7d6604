// The one place commands send what happens. It measures rate and ETA, then fans each event out to
// the sinks chosen on the command line: human text or JSON lines on stdout, and the --log file.
import type { CliEvent, LogLevel, Phase } from './events.js';
import { ProgressTracker } from './progressTracker.js';

export interface OutputSink {
  event(event: CliEvent, time: number): void;
  /** Human-readable text; JSON sinks ignore it. */
  text(text: string): void;
  /** A warning the user should see even in human mode. */
  warning(message: string, device?: string): void;
  /** One JSON object that is not an event (device-result, result). */
  record(record: Readonly<Record<string, unknown>>, humanLine?: string): void;
  close(): Promise<void>;
}

export class Reporter {
  private readonly tracker: ProgressTracker;
  private readonly phaseBytes = new Map<string, number>();

  constructor(
    private readonly sinks: readonly OutputSink[],
    private readonly now: () => number,
  ) {
    this.tracker = new ProgressTracker(now);
  }

  phase(device: string | undefined, phase: Phase, status: 'start' | 'finish' | 'failed'): void {
    const key = `${device ?? ''}\u0000${phase}`;
    if (status === 'start') {
      this.tracker.start(key);
      this.phaseBytes.set(key, 0);
      this.emit({ type: 'phase', ...(device ? { device } : {}), phase, status });
      return;
    }
    const elapsedMs = Math.round(this.tracker.elapsed(key));
    const bytes = this.phaseBytes.get(key) ?? 0;
    this.emit({ type: 'phase', ...(device ? { device } : {}), phase, status, elapsedMs, bytes });
  }

  progress(device: string | undefined, phase: Phase, done: number, total: number): void {
    const key = `${device ?? ''}\u0000${phase}`;
    this.phaseBytes.set(key, done);
    const sample = this.tracker.sample(key, done, total);
    this.emit({
      type: 'progress',
      ...(device ? { device } : {}),
      phase,
      done,
      total,
      bytesPerSecond: sample.bytesPerSecond,
      ...(sample.etaMs !== undefined ? { etaMs: sample.etaMs } : {}),
    });
  }

  log(device: string | undefined, level: LogLevel, message: string, data?: Readonly<Record<string, unknown>>): void {
    this.emit({ type: 'log', ...(device ? { device } : {}), level, message, ...(data ? { data } : {}) });
  }

  hotplug(event: 'attach' | 'detach', device: string): void {
    this.emit({ type: 'device', event, device });
  }

  warning(message: string, device?: string): void {
    for (const sink of this.sinks) sink.warning(message, device);
  }

  text(text: string): void {
    for (const sink of this.sinks) sink.text(text);
  }

  record(record: Readonly<Record<string, unknown>>, humanLine?: string): void {
    for (const sink of this.sinks) sink.record(record, humanLine);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close();
  }

  private emit(event: CliEvent): void {
    const time = this.now();
    for (const sink of this.sinks) sink.event(event, time);
  }
}
