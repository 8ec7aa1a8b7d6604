// --log FILE: every event at every level, as JSON lines with a wall-clock timestamp, so a failed
// board on a production line can be investigated afterwards.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { CliEvent } from './events.js';
import type { OutputSink } from './reporter.js';

export class LogFileSink implements OutputSink {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(path: string, private readonly wallClock: () => number = Date.now) {
    // Opened synchronously so a bad path fails before any device is touched.
    this.stream = createWriteStream('', { fd: openSync(path, 'w') });
    this.stream.on('error', (error) => {
      this.failure = error;
    });
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

  /** Resolves when the file is complete; rejects if it could not be written. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
      this.stream.once('error', reject);
    });
  }

  private line(value: object): void {
    this.stream.write(`${JSON.stringify({ time: new Date(this.wallClock()).toISOString(), ...value })}\n`);
  }
}
