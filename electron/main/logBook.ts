// The app's log: a ring buffer for the log panel and export (every level), plus per-day files in the
// user data folder so a failure can still be read after the app was closed. The files get 'info'
// and up unless asked for 'debug', are cut in parts of a few MiB and the oldest are deleted, so a
// production station flashing hundreds of boards a day keeps a bounded folder.

import type { LogEntry, LogLevel } from '../../core/contract/programmer.js';
import type { FolderEntry, HostFiles } from './host.js';
import { printable, printableLines } from '../../core/printable.js';

export const LOG_CAPACITY = 10_000;

const MIB = 1024 * 1024;
/** The file being written is renamed to the next part once the next line would take it past this. */
export const LOG_FILE_MAX_BYTES = 5 * MIB;
/** At most this many log files in the folder, the one being written included. */
export const LOG_MAX_FILES = 30;
/** At most this many bytes of log files in the folder, the one being written counted at LOG_FILE_MAX_BYTES. */
export const LOG_MAX_TOTAL_BYTES = 50 * MIB;

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One line per entry: ISO time (UTC), level, topic, device, message. */
export function formatLogLine(entry: LogEntry): string {
  const device = entry.deviceId ? ` [${printable(entry.deviceId)}]` : '';
  // Escaped: messages quote device strings (product, serial, region names) and file names, and a log
  // file is read with cat or tail in a terminal (core/printable.ts).
  return `${new Date(entry.time).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.topic}${device}: ${printableLines(entry.message)}`;
}

/** "dfu-desk-2025-11-23.log": the UTC day, like the times inside. The file being written for that day. */
export function logFileName(time: number): string {
  return `dfu-desk-${new Date(time).toISOString().slice(0, 10)}.log`;
}

/** "dfu-desk-2025-11-23.3.log": the third full part of that day, renamed from logFileName when it was full. */
export function logPartName(fileName: string, part: number): string {
  return fileName.replace(/\.log$/, `.${part}.log`);
}

const LOG_NAME = /^dfu-desk-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.log$/;

/** A log file's day and part (Infinity for the file being written, the newest of its day); undefined for other files. */
function parseLogName(name: string): { day: string; part: number } | undefined {
  const match = LOG_NAME.exec(name);
  if (!match) return undefined;
  return { day: match[1]!, part: match[2] === undefined ? Infinity : Number(match[2]) };
}

const encoder = new TextEncoder();

export interface LogFileOptions {
  readonly files: HostFiles;
  readonly directory: string;
  readonly joinPath: (directory: string, name: string) => string;
  /** Lowest level written to the files; 'info' when undefined. The ring buffer keeps every level. */
  readonly minLevel?: LogLevel | undefined;
  /** Defaults: LOG_FILE_MAX_BYTES, LOG_MAX_FILES, LOG_MAX_TOTAL_BYTES. */
  readonly maxFileBytes?: number;
  readonly maxFiles?: number;
  readonly maxTotalBytes?: number;
}

export interface LogBookOptions {
  readonly now: () => number;
  readonly onEntry: (entry: LogEntry) => void;
  readonly capacity?: number;
  /** Per-day files go here when given. */
  readonly file?: LogFileOptions;
}

export class LogBook {
  private readonly buffer: LogEntry[] = [];
  private readonly capacity: number;
  private readonly options: LogBookOptions;
  /** File work (appends, renames, deletes) runs one step after another so lines keep their order. */
  private writing: Promise<void> = Promise.resolve();
  /** The file being written and its size in bytes as this log book counts it. */
  private current: { name: string; sizeBytes: number } | undefined;
  private readonly reported = new Set<'write' | 'tidy'>();

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
    if (LEVEL_RANK[entry.level] < LEVEL_RANK[file.minLevel ?? 'info']) return;
    const line = `${formatLogLine(entry)}\n`;
    // Every failure is reported (once) and the chain goes on: one rejection would drop every later line.
    this.writing = this.writing
      .then(() => this.writeLine(file, logFileName(entry.time), line))
      .catch((error: unknown) => this.reportOnce('write', `cannot write the log file in ${file.directory}`, error));
  }

  private async writeLine(file: LogFileOptions, name: string, line: string): Promise<void> {
    const bytes = encoder.encode(line).length;
    if (this.current?.name !== name) this.current = { name, sizeBytes: await this.openFile(file, name) };
    const current = this.current;
    // A line longer than a whole file still goes in one piece, into an empty file.
    if (current.sizeBytes > 0 && current.sizeBytes + bytes > (file.maxFileBytes ?? LOG_FILE_MAX_BYTES)) {
      await this.rotate(file, name);
      // Also after a failed rename: the file then grows, and the next attempt comes a full file later.
      current.sizeBytes = 0;
    }
    try {
      await file.files.appendFile(file.joinPath(file.directory, name), line);
      current.sizeBytes += bytes;
    } catch (error) {
      // A full disk or a read-only folder must not stop flashing; say so once, in the panel.
      this.reportOnce('write', `cannot write the log file in ${file.directory}`, error);
    }
  }

  /** Starts writing `name` (at start and at midnight UTC): its size so far, and the folder tidied. */
  private async openFile(file: LogFileOptions, name: string): Promise<number> {
    const listing = await this.list(file);
    if (!listing) return 0;
    await this.prune(file, name, listing);
    return listing.find((entry) => entry.name === name)?.sizeBytes ?? 0;
  }

  /** Renames the full file to the day's next part: parts are numbered in the order they were written. */
  private async rotate(file: LogFileOptions, name: string): Promise<void> {
    const listing = await this.list(file);
    if (!listing) return;
    const full = listing.find((entry) => entry.name === name);
    if (!full) return; // Deleted behind our back: nothing to rename.
    const day = parseLogName(name)?.day;
    const parts = listing.map((entry) => parseLogName(entry.name)).filter((log) => log !== undefined && log.day === day && Number.isFinite(log.part));
    const last = Math.max(0, ...parts.map((log) => log!.part));
    const partName = logPartName(name, last + 1);
    try {
      await file.files.rename(file.joinPath(file.directory, name), file.joinPath(file.directory, partName));
    } catch (error) {
      this.reportOnce('tidy', `cannot rotate the log file ${name} in ${file.directory}`, error);
      return;
    }
    await this.prune(file, name, [...listing.filter((entry) => entry !== full), { name: partName, sizeBytes: full.sizeBytes }]);
  }

  /**
   * Deletes the oldest log files until the folder holds at most maxFiles of them and at most
   * maxTotalBytes, the file being written (never deleted) counted as at least one full file. Other
   * files in the folder are left alone.
   */
  private async prune(file: LogFileOptions, currentName: string, listing: readonly FolderEntry[]): Promise<void> {
    const logs = listing
      .map((entry) => ({ entry, log: parseLogName(entry.name) }))
      .filter((item) => item.log !== undefined && item.entry.name !== currentName)
      .sort((a, b) => (a.log!.day === b.log!.day ? a.log!.part - b.log!.part : a.log!.day < b.log!.day ? -1 : 1))
      .map((item) => item.entry);
    const maxFiles = file.maxFiles ?? LOG_MAX_FILES;
    const maxTotalBytes = file.maxTotalBytes ?? LOG_MAX_TOTAL_BYTES;
    let count = logs.length + 1;
    const currentBytes = Math.max(file.maxFileBytes ?? LOG_FILE_MAX_BYTES, listing.find((entry) => entry.name === currentName)?.sizeBytes ?? 0);
    let totalBytes = logs.reduce((sum, entry) => sum + entry.sizeBytes, 0) + currentBytes;
    for (const oldest of logs) {
      if (count <= maxFiles && totalBytes <= maxTotalBytes) return;
      try {
        await file.files.remove(file.joinPath(file.directory, oldest.name));
      } catch (error) {
        this.reportOnce('tidy', `cannot delete the old log file ${oldest.name} in ${file.directory}`, error);
        return;
      }
      count -= 1;
      totalBytes -= oldest.sizeBytes;
    }
  }

  private async list(file: LogFileOptions): Promise<FolderEntry[] | undefined> {
    try {
      return await file.files.list(file.directory);
    } catch (error) {
      this.reportOnce('tidy', `cannot list the log folder ${file.directory}`, error);
      return undefined;
    }
  }

  private reportOnce(kind: 'write' | 'tidy', what: string, error: unknown): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    const reason = error instanceof Error ? error.message : String(error);
    this.add('warn', 'app', `${what}: ${reason}`);
  }
}
