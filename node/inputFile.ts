// Reading a firmware file from disk without letting the path decide how much is read or how long it
// takes. A path may name a FIFO (which blocks until a writer comes, and never ends), a character
// device such as /dev/zero (endless) or a folder; a file may grow while it is read (a build still
// writing it). So the file is opened without blocking, checked to be a regular file on the open
// descriptor (no race with a rename), and read in chunks that stop at a byte cap whatever stat said.
// Errors are DfuError 'image-format' with format 'file', naming the file and the problem.
import * as nodeFs from 'node:fs';
import { DfuError } from '../core/errors.js';
import { concatBytes } from '../core/bytes.js';
import { formatCount } from '../core/format.js';

/** Read size once the size stat gave is read: the file may still grow (a build writing it). */
const TAIL_CHUNK_BYTES = 64 * 1024;

/** How many bytes to ask for next: what stat announced first, then small chunks up to one byte past the cap. */
function nextChunkSize(total: number, announced: number, maxBytes: number): number {
  const room = maxBytes + 1 - total;
  return Math.min(room, total < announced ? announced - total : TAIL_CHUNK_BYTES);
}

export interface ReadInputOptions {
  /** Shown in errors (a display name, e.g. the base name). */
  readonly fileName: string;
  /** More than this is refused, without reading past it. */
  readonly maxBytes: number;
}

function fileError(fileName: string, reason: string, cause?: unknown): DfuError {
  return new DfuError(
    { kind: 'image-format', format: 'file', file: fileName, reason },
    cause !== undefined ? { cause } : undefined,
  );
}

/** What a stat says the path is, when it is not a regular file. */
function notRegular(stat: nodeFs.Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'is a folder, not a firmware file';
  if (stat.isFIFO()) return 'is a pipe (FIFO), not a regular file: save what it delivers to a file and open that';
  if (stat.isCharacterDevice()) return 'is a character device, not a regular file';
  if (stat.isBlockDevice()) return 'is a block device, not a regular file';
  if (stat.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

function readError(fileName: string, path: string, error: unknown): DfuError {
  if (error instanceof DfuError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? `no such file: ${path}`
      : code === 'EACCES' || code === 'EPERM'
        ? `no permission to read ${path}`
        : code === 'EISDIR'
          ? 'is a folder, not a firmware file'
          : `cannot read ${path}: ${(error as Error).message}`;
  return fileError(fileName, reason, error);
}

function tooLarge(fileName: string, maxBytes: number): DfuError {
  return fileError(fileName, `is larger than ${formatCount(maxBytes)} bytes: not a firmware file`);
}

/** O_NONBLOCK keeps open() of a FIFO from waiting for a writer (Windows has no such flag, nor FIFOs). */
const OPEN_FLAGS = nodeFs.constants.O_RDONLY | (nodeFs.constants.O_NONBLOCK ?? 0);

/**
 * The bytes of one opened file as they are read: checks the open descriptor's stat first, sizes
 * each read (never more than one byte past the cap: enough to know the file is too large), and
 * joins the chunks. The same for the blocking and the non-blocking reader below.
 */
class CappedRead {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;

  constructor(
    private readonly stat: nodeFs.Stats,
    private readonly options: ReadInputOptions,
  ) {
    const problem = notRegular(stat);
    if (problem) throw fileError(options.fileName, problem);
    if (stat.size > options.maxBytes) throw tooLarge(options.fileName, options.maxBytes);
  }

  /** A buffer for the next read. */
  buffer(): Uint8Array {
    return new Uint8Array(nextChunkSize(this.total, this.stat.size, this.options.maxBytes));
  }

  /** Keeps what a read put in `chunk`; false at the end of the file. Throws once past the cap. */
  keep(chunk: Uint8Array, read: number): boolean {
    if (read === 0) return false;
    this.chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
    this.total += read;
    if (this.total > this.options.maxBytes) throw tooLarge(this.options.fileName, this.options.maxBytes);
    return true;
  }

  /** The whole file; one chunk (the usual case: stat was right) is returned without a copy. */
  bytes(): Uint8Array {
    return this.chunks.length === 1 ? this.chunks[0]! : concatBytes(this.chunks);
  }
}

/** The whole regular file at `path`, at most `maxBytes` of it; anything else is refused. */
export function readRegularFile(
  path: string,
  options: ReadInputOptions,
  fs: Pick<typeof nodeFs, 'openSync' | 'fstatSync' | 'readSync' | 'closeSync'> = nodeFs,
): Uint8Array {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
    const reading = new CappedRead(fs.fstatSync(fd), options);
    for (;;) {
      const chunk = reading.buffer();
      if (!reading.keep(chunk, fs.readSync(fd, chunk, 0, chunk.length, null))) return reading.bytes();
    }
  } catch (error) {
    throw readError(options.fileName, path, error);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The same for callers that must not block their event loop (the app's main process). */
export async function readRegularFileAsync(path: string, options: ReadInputOptions): Promise<Uint8Array> {
  let handle: nodeFs.promises.FileHandle | undefined;
  try {
    handle = await nodeFs.promises.open(path, OPEN_FLAGS);
    const reading = new CappedRead(await handle.stat(), options);
    for (;;) {
      const chunk = reading.buffer();
      if (!reading.keep(chunk, (await handle.read(chunk, 0, chunk.length, null)).bytesRead)) return reading.bytes();
    }
  } catch (error) {
    throw readError(options.fileName, path, error);
  } finally {
    await handle?.close();
  }
}
