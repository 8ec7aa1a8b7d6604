// --log FILE: every event at every level, as JSON lines with a wall-clock timestamp, so a failed
// board on a production line can be investigated afterwards. The lines go to a temporary file
// beside FILE that becomes FILE when the run ends (node/outputFile.ts): a full disk or a crash
// never leaves a truncated log under the name a script waits for.
import { toDfuError } from '../../core/errors.js';
import { OutputFile } from '../../node/outputFile.js';
import type { CliEvent } from './events.js';
import type { OutputSink } from './reporter.js';

export class LogFileSink implements OutputSink {
  private readonly file: OutputFile;
  private failure: unknown;

  /** Throws DfuError 'output-file' when FILE cannot be written, before any device is touched. */
  constructor(path: string, private readonly wallClock: () => number = Date.now) {
    this.file = new OutputFile(path);
  }

  event(event: CliEvent): void {
    this.line(event);
  }

  text(): void {}

  warning(message: string, device?: string): void {
    this.line({ type: 'warning', ...(device ? { device } : {}), message });
  }

  record(record: Readonly<Record<string, unknown>>): void {
    this.line(record);
  }

  /** Why writing the log failed so far (a DfuError 'output-file'), or undefined. */
  get problem(): unknown {
    return this.failure;
  }

  /** Resolves when the file is in place; rejects (and leaves no file) if it could not be written. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.failure !== undefined) throw toDfuError(this.failure);
      this.file.commit();
      resolve();
    });
  }

  private line(value: object): void {
    if (this.failure !== undefined) return;
    try {
      this.file.write(`${JSON.stringify({ time: new Date(this.wallClock()).toISOString(), ...value })}\n`);
    } catch (error) {
      // The run goes on (the board matters more than its log); close() reports it.
      this.failure = error;
    }
  }
}
