// What the programmer service needs from its surroundings, injected by the composition root
// (electron/main/index.ts with Electron dialogs; the browser test host with its own). Keeping these
// behind one interface is what lets the service run in plain vitest and in the test host unchanged.

import type { TimerClock } from '../../core/clock.js';
import type { LogLevel } from '../../core/contract/programmer.js';

export interface FileFilter {
  readonly name: string;
  readonly extensions: readonly string[];
}

export interface Dialogs {
  /** The firmware file the user picked, or undefined when cancelled. */
  openFirmware(): Promise<string | undefined>;
  /** Where to save, or undefined when cancelled. */
  saveFile(options: { readonly title: string; readonly defaultName: string; readonly filters: readonly FileFilter[] }): Promise<string | undefined>;
}

export interface FileStat {
  readonly sizeBytes: number;
  readonly modifiedMs: number;
}

/** A file in a folder, as `HostFiles.list` returns it. */
export interface FolderEntry {
  /** The file name alone, without the folder. */
  readonly name: string;
  readonly sizeBytes: number;
}

export interface HostFiles {
  /**
   * A firmware file: regular files only, at most MAX_IMAGE_BYTES, read with that cap (the Node host:
   * node/inputFile.ts, DfuError 'image-format'). Other failures reject with the platform error
   * (ENOENT...); the service turns them into a DfuError.
   */
  readFile(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<FileStat>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  appendFile(path: string, text: string): Promise<void>;
  /** Moves a file, replacing `to` when it exists (the log rotation). */
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file; a file already gone is not an error. */
  remove(path: string): Promise<void>;
  /** The files (not folders) directly in `directory`; empty when the folder does not exist. */
  list(directory: string): Promise<FolderEntry[]>;
  /** Calls `onChange` (possibly several times) when the file changes on disk. Returns a stop function. */
  watch(path: string, onChange: () => void): () => void;
}

export interface SettingsStore {
  load(): Promise<unknown>;
  save(settings: unknown): Promise<void>;
}

export interface Host {
  /** Real time in the app, virtual time in tests. `now()` is epoch milliseconds in the app. */
  readonly clock: TimerClock;
  readonly dialogs: Dialogs;
  readonly files: HostFiles;
  readonly settings: SettingsStore;
  /** Folder of the per-day log files; undefined keeps the log in memory only. */
  readonly logDirectory?: string;
  /** Lowest level written to the log files (the log panel keeps every level); 'info' when undefined. */
  readonly logLevel?: LogLevel;
  /** Lower-case hex SHA-256 (node:crypto in the app). */
  sha256(bytes: Uint8Array): string;
  readonly appVersion: string;
  /** Joins a folder and a file name with the platform separator. */
  joinPath(directory: string, name: string): string;
  /** The file name part of a path. */
  baseName(path: string): string;
  /** Told about internal errors (bugs) with their stack, beyond the log. */
  reportBug?(error: unknown): void;
}
