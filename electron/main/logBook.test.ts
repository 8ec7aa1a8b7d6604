import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimulatorBus } from '../../core/simulator/bus.js';
import type { LogLevel } from '../../core/contract/programmer.js';
import type { HostFiles } from './host.js';
import { formatLogLine, LOG_FILE_MAX_BYTES, LOG_MAX_FILES, LOG_MAX_TOTAL_BYTES, LogBook, logFileName, logPartName } from './logBook.js';
import type { LogFileOptions } from './logBook.js';
import { createNodeHost, logLevelFromEnvironment } from './nodeHost.js';
import { ProgrammerService } from './programmer.js';
import { expectOk, firmware, hexBytes, memoryHost } from './testing/serviceHarness.js';

const DAY = Date.UTC(2025, 10, 23, 12, 0, 0);

/** A folder in memory: file name -> content. */
function memoryFiles() {
  const written = new Map<string, string>();
  const calls = { rename: 0, remove: 0, list: 0 };
  const files: HostFiles = {
    readFile: () => Promise.reject(new Error('unused')),
    stat: () => Promise.reject(new Error('unused')),
    writeFile: () => Promise.resolve(),
    // A macrotask per append, as on a disk: a runaway loop of appends cannot starve the test's timers.
    appendFile: async (file, text) => {
      await new Promise((resolve) => setImmediate(resolve));
      written.set(file, (written.get(file) ?? '') + text);
    },
    rename: (from, to) => {
      calls.rename += 1;
      const content = written.get(from);
      if (content === undefined) return Promise.reject(new Error(`ENOENT: ${from}`));
      written.delete(from);
      written.set(to, content);
      return Promise.resolve();
    },
    remove: (file) => {
      calls.remove += 1;
      written.delete(file);
      return Promise.resolve();
    },
    list: (directory) => {
      calls.list += 1;
      const names = [...written.keys()].filter((file) => file.startsWith(`${directory}/`));
      return Promise.resolve(names.map((file) => ({ name: file.slice(directory.length + 1), sizeBytes: new TextEncoder().encode(written.get(file)).length })));
    },
    watch: () => () => undefined,
  };
  return { written, files, calls };
}

/** A file operation that fails like the disk would, a macrotask later (see appendFile above). */
function failing(reason: string, onCall: () => void = () => undefined) {
  return async () => {
    onCall();
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error(reason);
  };
}

function fileOptions(files: HostFiles, extra: Partial<LogFileOptions> = {}): LogFileOptions {
  return { files, directory: '/logs', joinPath: (d, n) => `${d}/${n}`, ...extra };
}

/** The folder's log files oldest first: parts by number, then the file being written. */
function logsInOrder(written: Map<string, string>): string[] {
  const order = (file: string) => {
    const match = /dfu-desk-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.log$/.exec(file)!;
    return [match[1]!, match[2] === undefined ? Infinity : Number(match[2])] as const;
  };
  return [...written.keys()]
    .filter((file) => /dfu-desk-.*\.log$/.test(file))
    .sort((a, b) => {
      const [dayA, partA] = order(a);
      const [dayB, partB] = order(b);
      return dayA === dayB ? partA - partB : dayA < dayB ? -1 : 1;
    });
}

/** Messages of the same length, numbered so order and loss show. */
const message = (index: number) => `line ${String(index).padStart(4, '0')}`;
const lineOf = (index: number) => `${formatLogLine({ time: DAY, level: 'info', topic: 'app', message: message(index) })}\n`;
const LINE_BYTES = lineOf(0).length;

describe('LogBook', () => {
  it('keeps the newest entries up to its capacity', () => {
    const log = new LogBook({ now: () => 0, onEntry: () => undefined, capacity: 3 });
    for (const text of ['a', 'b', 'c', 'd']) log.add('info', 'app', text);
    expect(log.entries().map((entry) => entry.message)).toEqual(['b', 'c', 'd']);
  });

  it('writes one file per UTC day, lines in order', async () => {
    let now = Date.UTC(2025, 10, 23, 23, 59, 59);
    const { files, written } = memoryFiles();
    const seen: string[] = [];
    const log = new LogBook({ now: () => now, onEntry: (entry) => seen.push(entry.message), file: fileOptions(files) });
    log.add('info', 'erase', 'erased sector 0', 'sim:1');
    now += 2000;
    log.add('error', 'write', 'device gone');
    await log.flush();
    expect([...written.keys()]).toEqual(['/logs/dfu-desk-2025-11-23.log', '/logs/dfu-desk-2025-11-24.log']);
    expect(written.get('/logs/dfu-desk-2025-11-23.log')).toBe('2025-11-23T23:59:59.000Z INFO  erase [sim:1]: erased sector 0\n');
    expect(seen).toEqual(['erased sector 0', 'device gone']);
  });

  it('keeps working in memory when the log file cannot be written, and says so once', async () => {
    const { files } = memoryFiles();
    files.appendFile = failing('EROFS: read-only file system');
    const log = new LogBook({ now: () => 0, onEntry: () => undefined, file: fileOptions(files, { directory: '/ro' }) });
    log.add('info', 'app', 'one');
    log.add('info', 'app', 'two');
    await log.flush();
    await log.flush();
    const warnings = log.entries().filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/EROFS/);
  });

  it('formats lines and file names from the entry time', () => {
    expect(logFileName(0)).toBe('dfu-desk-1970-01-01.log');
    expect(logPartName('dfu-desk-1970-01-01.log', 3)).toBe('dfu-desk-1970-01-01.3.log');
    expect(formatLogLine({ time: 0, level: 'warn', topic: 'usb', message: 'stall' })).toBe('1970-01-01T00:00:00.000Z WARN  usb: stall');
  });

  it('has documented defaults: info and up, 5 MiB parts, at most 30 files and 50 MiB', () => {
    expect([LOG_FILE_MAX_BYTES, LOG_MAX_FILES, LOG_MAX_TOTAL_BYTES]).toEqual([5 * 1024 * 1024, 30, 50 * 1024 * 1024]);
  });

  describe('level threshold of the file', () => {
    function writeEveryLevel(minLevel?: LogLevel) {
      const { files, written } = memoryFiles();
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { minLevel }) });
      for (const level of ['debug', 'info', 'warn', 'error'] as const) log.add(level, 'usb', `a ${level} line`);
      return { log, written };
    }
    const levelsIn = (text: string | undefined) => (text ?? '').split('\n').filter(Boolean).map((line) => line.split(/\s+/)[1]);

    it('writes info and up to the file by default; the panel still gets debug', async () => {
      const { log, written } = writeEveryLevel();
      await log.flush();
      expect(levelsIn(written.get('/logs/dfu-desk-2025-11-23.log'))).toEqual(['INFO', 'WARN', 'ERROR']);
      expect(log.entries().map((entry) => entry.level)).toEqual(['debug', 'info', 'warn', 'error']);
      expect(log.text()).toContain('DEBUG usb: a debug line');
    });

    it('writes debug lines to the file when the threshold is debug, and only warn and up at warn', async () => {
      const debug = writeEveryLevel('debug');
      await debug.log.flush();
      expect(levelsIn(debug.written.get('/logs/dfu-desk-2025-11-23.log'))).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
      const warn = writeEveryLevel('warn');
      await warn.log.flush();
      expect(levelsIn(warn.written.get('/logs/dfu-desk-2025-11-23.log'))).toEqual(['WARN', 'ERROR']);
    });
  });

  describe('rotation and retention', () => {
    it('cuts the day into numbered parts at the size limit: every line whole, none lost, in order', async () => {
      const { files, written } = memoryFiles();
      const maxFileBytes = LINE_BYTES * 3 + 10;
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes }) });
      for (let index = 0; index < 20; index += 1) log.add('info', 'app', message(index));
      await log.flush();
      const names = logsInOrder(written);
      expect(names).toEqual([1, 2, 3, 4, 5, 6].map((part) => `/logs/dfu-desk-2025-11-23.${part}.log`).concat('/logs/dfu-desk-2025-11-23.log'));
      for (const name of names) {
        expect(written.get(name)!.length).toBeLessThanOrEqual(maxFileBytes);
        expect(written.get(name)!.endsWith('\n')).toBe(true);
      }
      expect(written.get('/logs/dfu-desk-2025-11-23.1.log')).toBe(lineOf(0) + lineOf(1) + lineOf(2));
      expect(names.map((name) => written.get(name)).join('')).toBe(Array.from({ length: 20 }, (_, index) => lineOf(index)).join(''));
    });

    it('writes a line longer than a part whole, into a file of its own', async () => {
      const { files, written } = memoryFiles();
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: 20 }) });
      log.add('info', 'app', 'x'.repeat(100));
      log.add('info', 'app', 'y'.repeat(100));
      await log.flush();
      expect(written.get('/logs/dfu-desk-2025-11-23.1.log')).toMatch(/^\S+ INFO {2}app: x{100}\n$/);
      expect(written.get('/logs/dfu-desk-2025-11-23.log')).toMatch(/^\S+ INFO {2}app: y{100}\n$/);
    });

    it('after a restart, counts the bytes already in the file and goes on with the next part number', async () => {
      const { files, written } = memoryFiles();
      written.set('/logs/dfu-desk-2025-11-23.1.log', 'first\n');
      written.set('/logs/dfu-desk-2025-11-23.2.log', 'second\n');
      written.set('/logs/dfu-desk-2025-11-23.log', 'z'.repeat(LINE_BYTES * 2));
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: LINE_BYTES * 2 + 10 }) });
      log.add('info', 'app', message(7));
      await log.flush();
      expect(written.get('/logs/dfu-desk-2025-11-23.1.log')).toBe('first\n');
      expect(written.get('/logs/dfu-desk-2025-11-23.2.log')).toBe('second\n');
      expect(written.get('/logs/dfu-desk-2025-11-23.3.log')).toBe('z'.repeat(LINE_BYTES * 2));
      expect(written.get('/logs/dfu-desk-2025-11-23.log')).toBe(lineOf(7));
    });

    it('deletes the oldest log files beyond the file count at start, oldest part first, and nothing else', async () => {
      const { files, written } = memoryFiles();
      for (const name of ['dfu-desk-2025-11-20.log', 'dfu-desk-2025-11-21.log', 'dfu-desk-2025-11-21.1.log', 'dfu-desk-2025-11-22.log', 'notes.txt']) written.set(`/logs/${name}`, 'old\n');
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFiles: 3 }) });
      log.add('info', 'app', message(1));
      await log.flush();
      expect([...written.keys()].sort()).toEqual(['/logs/dfu-desk-2025-11-21.log', '/logs/dfu-desk-2025-11-22.log', '/logs/dfu-desk-2025-11-23.log', '/logs/notes.txt']);
    });

    it('never deletes the file being written at start, even beyond the limits', async () => {
      const { files, written } = memoryFiles();
      written.set('/logs/dfu-desk-2025-11-22.log', 'yesterday\n');
      written.set('/logs/dfu-desk-2025-11-23.log', 'this morning\n');
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFiles: 1, maxTotalBytes: 0 }) });
      log.add('info', 'app', message(1));
      await log.flush();
      expect([...written]).toEqual([['/logs/dfu-desk-2025-11-23.log', `this morning\n${lineOf(1)}`]]);
    });

    it('counts the size in bytes (UTF-8), not characters', async () => {
      const { files, written } = memoryFiles();
      const accented = `${formatLogLine({ time: DAY, level: 'info', topic: 'app', message: 'é'.repeat(50) })}\n`;
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: accented.length * 2 + 10 }) });
      log.add('info', 'app', 'é'.repeat(50));
      log.add('info', 'app', 'é'.repeat(50));
      await log.flush();
      expect(written.get('/logs/dfu-desk-2025-11-23.1.log')).toBe(accented);
      expect(written.get('/logs/dfu-desk-2025-11-23.log')).toBe(accented);
    });

    it('keeps the folder within the total size, deleting the oldest parts, never the file being written', async () => {
      const { files, written } = memoryFiles();
      const maxFileBytes = LINE_BYTES * 2;
      const maxTotalBytes = LINE_BYTES * 5;
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes, maxTotalBytes }) });
      for (let index = 0; index < 25; index += 1) log.add('info', 'app', message(index));
      await log.flush();
      const names = logsInOrder(written);
      // Two full parts + the current file counted as full = 6 lines > 5: one full part besides the current file.
      expect(names).toEqual(['/logs/dfu-desk-2025-11-23.12.log', '/logs/dfu-desk-2025-11-23.log']);
      expect(names.map((name) => written.get(name)).join('')).toBe(lineOf(22) + lineOf(23) + lineOf(24));
    });

    it('keeps the file being written even when the limits allow no file at all', async () => {
      const { files, written } = memoryFiles();
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: LINE_BYTES, maxFiles: 0, maxTotalBytes: 0 }) });
      for (let index = 0; index < 4; index += 1) log.add('info', 'app', message(index));
      await log.flush();
      expect([...written]).toEqual([['/logs/dfu-desk-2025-11-23.log', lineOf(3)]]);
    });

    it('reports a failed rotation once and keeps every line, in order, in the same file', async () => {
      const { files, written, calls } = memoryFiles();
      files.rename = failing('EBUSY: resource busy or locked', () => (calls.rename += 1));
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: LINE_BYTES * 2 }) });
      for (let index = 0; index < 10; index += 1) log.add('info', 'app', message(index));
      await log.flush();
      await log.flush();
      const warnings = log.entries().filter((entry) => entry.level === 'warn');
      expect(warnings.map((entry) => entry.message)).toEqual(['cannot rotate the log file dfu-desk-2025-11-23.log in /logs: EBUSY: resource busy or locked']);
      expect(calls.rename).toBeGreaterThan(1); // tried again a part later
      expect([...written.keys()]).toEqual(['/logs/dfu-desk-2025-11-23.log']);
      const lines = written.get('/logs/dfu-desk-2025-11-23.log')!.split('\n').filter(Boolean);
      expect(lines.filter((line) => !line.includes('WARN')).map((line) => `${line}\n`)).toEqual(Array.from({ length: 10 }, (_, index) => lineOf(index)));
      expect(lines.some((line) => line.includes('WARN  app: cannot rotate'))).toBe(true);
    });

    it('reports a failed delete or folder listing once and keeps logging', async () => {
      const { files, written } = memoryFiles();
      files.remove = failing('EPERM: operation not permitted');
      const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(files, { maxFileBytes: LINE_BYTES, maxFiles: 1 }) });
      for (let index = 0; index < 5; index += 1) log.add('info', 'app', message(index));
      await log.flush();
      await log.flush();
      expect(log.entries().filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual(['cannot delete the old log file dfu-desk-2025-11-23.1.log in /logs: EPERM: operation not permitted']);
      const text = logsInOrder(written).map((name) => written.get(name)).join('');
      expect(text.split('\n').filter((line) => line.includes('INFO')).map((line) => `${line}\n`)).toEqual(Array.from({ length: 5 }, (_, index) => lineOf(index)));

      const unlisted = memoryFiles();
      unlisted.files.list = failing('EACCES: permission denied');
      const blind = new LogBook({ now: () => DAY, onEntry: () => undefined, file: fileOptions(unlisted.files, { maxFileBytes: LINE_BYTES }) });
      for (let index = 0; index < 3; index += 1) blind.add('info', 'app', message(index));
      await blind.flush();
      await blind.flush();
      expect(blind.entries().filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual(['cannot list the log folder /logs: EACCES: permission denied']);
      expect(unlisted.written.get('/logs/dfu-desk-2025-11-23.log')).toContain(lineOf(0) + lineOf(1) + lineOf(2));
    });
  });
});

describe('log files on disk (createNodeHost)', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'dfu-desk-logbook-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(folder, { recursive: true, force: true });
  });
  const dialogs = { openFirmware: () => Promise.resolve(undefined), saveFile: () => Promise.resolve(undefined) };

  it('lists files with their sizes, renames and removes them', async () => {
    const { files } = createNodeHost({ userDataDirectory: folder, dialogs, appVersion: 'test' });
    const logs = path.join(folder, 'logs');
    expect(await files.list(logs)).toEqual([]);
    await files.appendFile(path.join(logs, 'a.log'), 'héllo\n');
    await mkdir(path.join(logs, 'sub'));
    expect(await files.list(logs)).toEqual([{ name: 'a.log', sizeBytes: 7 }]);
    await files.rename(path.join(logs, 'a.log'), path.join(logs, 'b.log'));
    expect((await files.list(logs)).map((entry) => entry.name)).toEqual(['b.log']);
    await files.remove(path.join(logs, 'b.log'));
    await files.remove(path.join(logs, 'b.log'));
    expect(await files.list(logs)).toEqual([]);
  });

  it('rotates and prunes real files', async () => {
    const host = createNodeHost({ userDataDirectory: folder, dialogs, appVersion: 'test' });
    const logs = host.logDirectory!;
    await mkdir(logs, { recursive: true });
    await writeFile(path.join(logs, 'dfu-desk-2025-11-01.log'), 'a month ago\n');
    const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: { files: host.files, directory: logs, joinPath: (d, n) => host.joinPath(d, n), maxFileBytes: LINE_BYTES * 2, maxFiles: 3 } });
    for (let index = 0; index < 6; index += 1) log.add('info', 'app', message(index));
    await log.flush();
    expect((await readdir(logs)).sort()).toEqual(['dfu-desk-2025-11-23.1.log', 'dfu-desk-2025-11-23.2.log', 'dfu-desk-2025-11-23.log']);
    expect(await readFile(path.join(logs, 'dfu-desk-2025-11-23.2.log'), 'utf8')).toBe(lineOf(2) + lineOf(3));
  });

  it('takes the file level from DFU_DESK_LOG_LEVEL', () => {
    expect(logLevelFromEnvironment({ DFU_DESK_LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevelFromEnvironment({ DFU_DESK_LOG_LEVEL: ' WARN ' })).toBe('warn');
    expect(logLevelFromEnvironment({ DFU_DESK_LOG_LEVEL: 'verbose' })).toBeUndefined();
    expect(logLevelFromEnvironment({})).toBeUndefined();
    vi.stubEnv('DFU_DESK_LOG_LEVEL', 'debug');
    expect(createNodeHost({ userDataDirectory: folder, dialogs, appVersion: 'test' }).logLevel).toBe('debug');
    vi.stubEnv('DFU_DESK_LOG_LEVEL', '');
    expect(createNodeHost({ userDataDirectory: folder, dialogs, appVersion: 'test' }).logLevel).toBeUndefined();
  });
});

describe('log files in the in-memory test host (memoryHost)', () => {
  it('rotates and prunes like the disk', async () => {
    const host = memoryHost();
    const logs = host.logDirectory!;
    host.fileSystem.set(`${logs}/dfu-desk-2025-11-01.log`, 'a month ago\n');
    host.fileSystem.set(`${logs}/deeper/dfu-desk-2025-11-02.log`, 'in a subfolder\n');
    const log = new LogBook({ now: () => DAY, onEntry: () => undefined, file: { files: host.files, directory: logs, joinPath: (d, n) => host.joinPath(d, n), maxFileBytes: LINE_BYTES * 2, maxFiles: 3 } });
    for (let index = 0; index < 6; index += 1) log.add('info', 'app', message(index));
    await log.flush();
    expect((await host.files.list(logs)).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'dfu-desk-2025-11-23.1.log', sizeBytes: LINE_BYTES * 2 },
      { name: 'dfu-desk-2025-11-23.2.log', sizeBytes: LINE_BYTES * 2 },
      { name: 'dfu-desk-2025-11-23.log', sizeBytes: LINE_BYTES * 2 },
    ]);
    expect(host.fileSystem.get(`${logs}/dfu-desk-2025-11-23.2.log`)).toBe(lineOf(2) + lineOf(3));
    expect(host.fileSystem.has(`${logs}/deeper/dfu-desk-2025-11-02.log`)).toBe(true);
    await expect(host.files.rename(`${logs}/missing.log`, `${logs}/other.log`)).rejects.toThrow(/ENOENT/);
  });
});

describe("the service's log file per flash (64 KiB on an STM32L073, erase touched + verify)", () => {
  async function bytesPerFlash(logLevel: LogLevel | undefined) {
    const host = memoryHost();
    if (logLevel) Object.assign(host, { logLevel });
    const service = await ProgrammerService.create({ host, simulatorBus: new SimulatorBus(host.clock), hardwareUnavailableReason: 'not in tests', simulatorSpec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'blinky.hex', bytes: hexBytes(firmware(65_536)) });
    const file = '/user-data/logs/dfu-desk-2025-11-23.log';
    const text = () => host.fileSystem.get(file) as string;
    await vi.waitFor(() => expect(text()).toContain('loaded blinky.hex'));
    const before = text().length;
    expectOk(await service.program({ options: { erase: 'touched', verify: true } }));
    await vi.waitFor(() => expect(text()).toContain('program finished'));
    return { bytes: text().length - before, text: text() };
  }

  it('is about a hundred bytes at info and about 200 KB at debug', async () => {
    const info = await bytesPerFlash(undefined);
    expect(info.text).not.toContain(' DEBUG ');
    expect(info.bytes).toBeLessThan(200);
    const debug = await bytesPerFlash('debug');
    expect(debug.text).toContain(' DEBUG ');
    expect(debug.bytes).toBeGreaterThan(150_000);
  });
});
