// The app's log: a ring buffer for the log panel and export, plus one append-only file per day in the
// user data folder so a failure can still be read after the app was closed.

import type { LogEntry, LogLevel } from '../../core/contract/programmer.js';
import type { HostFiles } from './host.js';

export const LOG_CAPACITY = 10_000;

/** One line per entry: ISO time (UTC), level, topic, device, message. */
export function formatLogLine(entry: LogEntry): string {
  const device = entry.deviceId ? ` [${entry.deviceId}]` : '';
  return `${new Date(entry.time).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.topic}${device}: ${entry.message}`;
}

/** "dfu-desk-2025-11-23.log": the UTC day, like the times inside. */
export function logFileName(time: number): string {
  return `dfu-desk-${new Date(time).toISOString().slice(0, 10)}.log`;
}

export interface LogBookOptions {
  readonly now: () => number;
  readonly onEntry: (entry: LogEntry) => void;
  readonly capacity?: number;
  /** Per-day files go here when given. */
  readonly file?: { readonly files: HostFiles; readonly directory: string; readonly joinPath: (directory: string, name: string) => string };
}

export class LogBook {
  private readonly buffer: LogEntry[] = [];
  private readonly capacity: number;
  private readonly options: LogBookOptions;
  /** Appends run one after another so lines keep their order. */
  private writing: Promise<void> = Promise.resolve();
  private hasReportedFileError = false;

  constructor(options: LogBookOptions) {
    this.options = options;
    this.capacity = options.capacity ?? LOG_CAPACITY;
  }

  add(level: LogLevel, topic: string, message: string, deviceId?: string): LogEntry {
    const entry: LogEntry = deviceId === undefined ? { time: this.options.now(), level, topic, message } : { time: this.options.now(), level, topic, message, deviceId };
    this.buffer.push(entry);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    this.appendToFile(entry);
    this.options.onEntry(entry);
    return entry;
  }

  entries(): LogEntry[] {
    return [...this.buffer];
  }

  text(): string {
    return this.buffer.map((entry) => `${formatLogLine(entry)}\n`).join('');
  }

  /** Resolves when every line so far reached the file. */
  flush(): Promise<void> {
    return this.writing;
  }

  private appendToFile(entry: LogEntry): void {
    const file = this.options.file;
    if (!file) return;
    const target = file.joinPath(file.directory, logFileName(entry.time));
    this.writing = this.writing
      .then(() => file.files.appendFile(target, `${formatLogLine(entry)}\n`))
      .catch((error: unknown) => {
        // A full disk or a read-only folder must not stop flashing; say so once, in the panel.
        if (this.hasReportedFileError) return;
        this.hasReportedFileError = true;
        const reason = error instanceof Error ? error.message : String(error);
        this.add('warn', 'app', `cannot write the log file in ${file.directory}: ${reason}`);
      });
  }
}
