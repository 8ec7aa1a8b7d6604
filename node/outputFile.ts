// Output files written safely, for the CLI (read -o, --report, --log) and the app (save dialogs,
// settings, exported logs): the destination is checked before any device is touched, the bytes go
// to a temporary file beside it that is flushed to disk and then renamed over the final name. A
// failure half-way (disk full, a file-size limit, a yanked USB stick) leaves the final name as it
// was, never a truncated file that looks like a backup. Failures are DfuError 'output-file' with
// the problem named (no such folder, not writable, disk full), which the CLI maps to exit code 8.
import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { DfuError, type OutputProblem } from '../core/errors.js';

/** The synchronous fs calls used here; tests pass a fake to produce ENOSPC and friends. */
export type OutputFs = Pick<
  typeof nodeFs,
  'statSync' | 'accessSync' | 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'fchmodSync'
>;

/** errno code → the problem the user is told about. */
export function problemOf(code: string | undefined): OutputProblem {
  switch (code) {
    case 'ENOENT':
      return 'no-folder';
    case 'ENOTDIR':
      return 'not-a-folder';
    case 'EISDIR':
      return 'is-folder';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'not-writable';
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'disk-full';
    default:
      return 'write-failed';
  }
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function outputError(path: string, problem: OutputProblem, cause?: unknown, detail?: string): DfuError {
  const code = codeOf(cause);
  const text = detail ?? code;
  return new DfuError({ kind: 'output-file', path, folder: dirname(path), problem, ...(text ? { detail: text } : {}) }, { cause });
}

/** `.<name>.<random>.tmp` in the same folder, so the final rename never crosses file systems. */
function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Throws DfuError 'output-file' unless `path` can be written: its folder exists, it is not a
 * folder itself nor a read-only file, and a file can be created in that folder (a probe file is created and removed,
 * which also catches read-only file systems and full disks).
 */
export function checkOutputFile(path: string, fs: OutputFs = nodeFs): void {
  const absolute = resolve(path);
  const folder = dirname(absolute);
  let folderStat: nodeFs.Stats;
  try {
    folderStat = fs.statSync(folder);
  } catch (error) {
    throw outputError(absolute, codeOf(error) === 'ENOTDIR' ? 'not-a-folder' : 'no-folder', error);
  }
  if (!folderStat.isDirectory()) throw outputError(absolute, 'not-a-folder');
  let existing: nodeFs.Stats | undefined;
  try {
    existing = fs.statSync(absolute);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw outputError(absolute, problemOf(codeOf(error)), error);
  }
  if (existing?.isDirectory()) throw outputError(absolute, 'is-folder');
  if (existing) {
    // Replacing it would work (the folder is writable), but a read-only file was made so on purpose.
    try {
      fs.accessSync(absolute, nodeFs.constants.W_OK);
    } catch (error) {
      throw outputError(absolute, 'not-writable', error, 'the file is read-only');
    }
  }
  const probe = temporaryPathFor(absolute);
  let fd: number;
  try {
    fd = fs.openSync(probe, 'wx');
  } catch (error) {
    throw outputError(absolute, problemOf(codeOf(error)), error);
  }
  fs.closeSync(fd);
  fs.unlinkSync(probe);
}

/**
 * An output file being written: chunks go to the temporary file; commit() flushes and renames it
 * over `path`, abandon() removes it. Used directly for streams (the CLI's --log).
 */
export class OutputFile {
  readonly path: string;
  readonly temporaryPath: string;
  private fd: number | undefined;

  constructor(
    path: string,
    private readonly fs: OutputFs = nodeFs,
  ) {
    this.path = resolve(path);
    checkOutputFile(this.path, fs);
    this.temporaryPath = temporaryPathFor(this.path);
    try {
      this.fd = fs.openSync(this.temporaryPath, 'wx', 0o666);
    } catch (error) {
      throw outputError(this.path, problemOf(codeOf(error)), error);
    }
  }

  write(data: Uint8Array | string): void {
    const fd = this.openFd();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += this.fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      this.abandon();
      throw outputError(this.path, problemOf(codeOf(error)), error);
    }
  }

  /** Flushes to disk and puts the file in place (keeping the permissions of a file it replaces). */
  commit(): void {
    const fd = this.openFd();
    try {
      const previousMode = this.modeOfExisting();
      if (previousMode !== undefined) this.fs.fchmodSync(fd, previousMode);
      this.fs.fsyncSync(fd);
      this.fs.closeSync(fd);
      this.fd = undefined;
      this.fs.renameSync(this.temporaryPath, this.path);
    } catch (error) {
      this.abandon();
      throw outputError(this.path, problemOf(codeOf(error)), error);
    }
  }

  /** Removes the temporary file; the final name is left as it was. Safe to call twice. */
  abandon(): void {
    if (this.fd !== undefined) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // Closing a descriptor whose write failed may fail too; the unlink below still runs.
      }
      this.fd = undefined;
    }
    try {
      this.fs.unlinkSync(this.temporaryPath);
    } catch {
      // Already gone (committed, or never created).
    }
  }

  private openFd(): number {
    if (this.fd === undefined) throw outputError(this.path, 'write-failed', undefined, 'already closed');
    return this.fd;
  }

  private modeOfExisting(): number | undefined {
    try {
      return this.fs.statSync(this.path).mode & 0o7777;
    } catch {
      return undefined;
    }
  }
}

/** Writes `data` to `path` all or nothing (see OutputFile). */
export function writeOutputFile(path: string, data: Uint8Array | string, fs: OutputFs = nodeFs): void {
  const file = new OutputFile(path, fs);
  file.write(data);
  file.commit();
}
