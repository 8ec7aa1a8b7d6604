import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dfuErrorOf } from '../core/testing/dfuErrorOf.js';
import { checkOutputFile, OutputFile, problemOf, writeOutputFile, type OutputFs } from './outputFile.js';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'dfu-desk-output-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const failure = dfuErrorOf;

/** The real fs, except that writeSync fails with `code` once `limit` bytes were written. */
function fsFailingAfter(limit: number, code: string): OutputFs {
  let written = 0;
  return {
    ...fs,
    writeSync: ((fd: number, buffer: Uint8Array, offset: number, length: number) => {
      if (written + length > limit) {
        const room = limit - written;
        if (room > 0) {
          written += fs.writeSync(fd, buffer, offset, room);
          return room;
        }
        throw Object.assign(new Error(`${code}: simulated`), { code });
      }
      written += length;
      return fs.writeSync(fd, buffer, offset, length);
    }) as OutputFs['writeSync'],
  };
}

describe('output files', () => {
  it('writes the file whole and leaves no temporary file behind', () => {
    const path = join(folder, 'backup.hex');
    writeOutputFile(path, 'first');
    writeOutputFile(path, new Uint8Array([0x41, 0x42]));
    expect(readFileSync(path, 'utf8')).toBe('AB');
    expect(readdirSync(folder)).toEqual(['backup.hex']);
  });

  it('keeps the permissions of a file it replaces', () => {
    const path = join(folder, 'report.json');
    writeFileSync(path, 'old');
    chmodSync(path, 0o640);
    writeOutputFile(path, 'new');
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('names the problem before anything is written: no folder, a folder, not a folder', () => {
    expect(failure(() => checkOutputFile(join(folder, 'missing', 'backup.hex'))).info).toEqual({
      kind: 'output-file',
      path: join(folder, 'missing', 'backup.hex'),
      folder: join(folder, 'missing'),
      problem: 'no-folder',
      detail: 'ENOENT',
    });
    expect(failure(() => checkOutputFile(folder)).info).toMatchObject({ problem: 'is-folder' });
    writeFileSync(join(folder, 'file'), '');
    expect(failure(() => checkOutputFile(join(folder, 'file', 'backup.hex'))).info).toMatchObject({ problem: 'not-a-folder' });
    expect(failure(() => checkOutputFile(join(folder, 'file', 'backup.hex'))).message).toMatch(/is not a folder$/);
    expect(readdirSync(folder)).toEqual(['file']);
  });

  it('refuses a folder it may not write in (the probe file cannot be created)', () => {
    const denied: OutputFs = {
      ...fs,
      openSync: (() => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      }),
    };
    const error = failure(() => checkOutputFile(join(folder, 'backup.hex'), denied));
    expect(error.info).toMatchObject({ problem: 'not-writable' });
    expect(error.message).toBe(`cannot write ${join(folder, 'backup.hex')}: no permission to write there (EACCES)`);
  });

  it('on a full disk keeps the old file intact and removes the partial one', () => {
    const path = join(folder, 'backup.hex');
    writeFileSync(path, 'the previous backup');
    const error = failure(() => writeOutputFile(path, 'x'.repeat(10_000), fsFailingAfter(4096, 'ENOSPC')));
    expect(error.info).toMatchObject({ kind: 'output-file', problem: 'disk-full', detail: 'ENOSPC' });
    expect(error.message).toMatch(/no space left for it/);
    expect(readFileSync(path, 'utf8')).toBe('the previous backup');
    expect(readdirSync(folder)).toEqual(['backup.hex']);
  });

  it('a stream that is abandoned leaves nothing under the final name', () => {
    const path = join(folder, 'run.log');
    const file = new OutputFile(path);
    file.write('line 1\n');
    expect(readdirSync(folder)).toEqual([expect.stringMatching(/^\.run\.log\.[0-9a-f]{8}\.tmp$/)]);
    file.abandon();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('maps errno codes to problems', () => {
    expect(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', undefined].map(problemOf)).toEqual([
      'no-folder', 'not-a-folder', 'is-folder', 'not-writable', 'not-writable', 'disk-full', 'disk-full', 'disk-full', 'write-failed', 'write-failed',
    ]);
  });
});
