// --json: one JSON object per line on stdout. Progress is thinned to at most 20 lines per second
// per device and phase (the first and the last of a phase are always printed); debug log lines go
// only to the --log file.
import type { CliEvent } from './events.js';
import type { OutputSink } from './reporter.js';
import type { TextSink } from './textSink.js';

const PROGRESS_INTERVAL_MS = 50;

export class JsonSink implements OutputSink {
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly out: TextSink) {}

  event(event: CliEvent, time: number): void {
    if (event.type === 'log' && event.level === 'debug') return;
    if (event.type === 'progress') {
      const key = `${event.device ?? ''}\u0000${event.phase}`;
      const last = this.lastProgress.get(key);
      const isEdge = event.done === 0 || event.done >= event.total;
      if (!isEdge && last !== undefined && time - last < PROGRESS_INTERVAL_MS) return;
      this.lastProgress.set(key, time);
    }
    this.line(event);
  }

  text(): void {}

  warning(message: string, device?: string): void {
    this.line({ type: 'warning', ...(device ? { device } : {}), message });
  }

  record(record: Readonly<Record<string, unknown>>): void {
    this.line(record);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private line(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }
}
