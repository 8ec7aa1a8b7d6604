// The Host over Node's fs and crypto, free of Electron: the app adds Electron dialogs to it, and the
// browser test host can use it with its own dialogs.

import { createHash } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { TimerClock } from '../../core/clock.js';
import type { LogLevel } from '../../core/contract/programmer.js';
import type { Dialogs, Host } from './host.js';
import { MAX_IMAGE_BYTES } from '../../core/contract/requests.js';
import { readRegularFileAsync } from '../../node/inputFile.js';
import { writeOutputFile } from '../../node/outputFile.js';
import { realClock } from '../../node/realClock.js';

export interface NodeHostOptions {
  /** Settings file and logs/ live here (Electron's app.getPath('userData') in the app). */
  readonly userDataDirectory: string;
  readonly dialogs: Dialogs;
  readonly appVersion: string;
  readonly clock?: TimerClock;
  readonly reportBug?: (error: unknown) => void;
}

// Polling (stat every half second) rather than fs.watch: editors and build tools often replace the
// file (write a temporary file, rename it over), which ends an inode-based watch on Linux and macOS.
const WATCH_INTERVAL_MS = 500;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** DFU_DESK_LOG_LEVEL=debug (or info, warn, error) sets the log files' level; anything else keeps the default. */
export function logLevelFromEnvironment(
  environment: Readonly<Record<string, string | undefined>> = process.env,
): LogLevel | undefined {
  const value = environment.DFU_DESK_LOG_LEVEL?.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === value);
}

export function createNodeHost(options: NodeHostOptions): Host {
  const settingsPath = path.join(options.userDataDirectory, 'settings.json');
  const logLevel = logLevelFromEnvironment();
  return {
    clock: options.clock ?? realClock,
    dialogs: options.dialogs,
    files: {
      // Firmware files only: regular files, read with the byte cap while streaming (node/inputFile.ts),
      // so /dev/zero, a FIFO or a file that grows past the cap is refused instead of filling memory.
      readFile: (file) => readRegularFileAsync(file, { fileName: path.basename(file), maxBytes: MAX_IMAGE_BYTES }),
      stat: async (file) => {
        const info = await stat(file);
        return { sizeBytes: info.size, modifiedMs: info.mtimeMs };
      },
      // All or nothing (node/outputFile.ts): a full disk leaves no half-written report or read-back
      // under the chosen name, and the failure is a DfuError 'output-file' naming the problem.
      writeFile: async (file, data) => {
        await mkdir(path.dirname(file), { recursive: true });
        writeOutputFile(file, data);
      },
      appendFile: async (file, text) => {
        await mkdir(path.dirname(file), { recursive: true });
        await appendFile(file, text);
      },
      rename: (from, to) => rename(from, to),
      remove: (file) => rm(file, { force: true }),
      list: async (directory) => {
        let names: string[];
        try {
          names = (await readdir(directory, { withFileTypes: true }))
            .filter((entry) => entry.isFile())
            .map((entry) => entry.name);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw error;
        }
        const entries = await Promise.all(
          names.map(async (name) => {
            try {
              return { name, sizeBytes: (await stat(path.join(directory, name))).size };
            } catch {
              return undefined; // Deleted between readdir and stat.
            }
          }),
        );
        return entries.filter((entry) => entry !== undefined);
      },
      watch: (file, onChange) => {
        const listener = (current: { mtimeMs: number; size: number }, previous: { mtimeMs: number; size: number }) => {
          if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) onChange();
        };
        watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, listener);
        return () => unwatchFile(file, listener);
      },
    },
    settings: {
      load: async () => {
        try {
          return JSON.parse(await readFile(settingsPath, 'utf8')) as unknown;
        } catch {
          return undefined;
        }
      },
      save: async (settings) => {
        await mkdir(options.userDataDirectory, { recursive: true });
        // Atomic too: a crash while saving keeps the previous settings, never a truncated file.
        writeOutputFile(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
      },
    },
    logDirectory: path.join(options.userDataDirectory, 'logs'),
    ...(logLevel ? { logLevel } : {}),
    sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
    appVersion: options.appVersion,
    joinPath: (directory, name) => path.join(directory, name),
    baseName: (file) => path.basename(file),
    ...(options.reportBug ? { reportBug: options.reportBug } : {}),
  };
}
