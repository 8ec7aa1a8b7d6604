import { formatLogLine, LogBook, logFileName } from './logBook.js';

describe('LogBook', () => {
  function memoryFiles() {
    const written = new Map<string, string>();
    return {
      written,
      files: {
        readFile: () => Promise.reject(new Error('unused')),
        stat: () => Promise.reject(new Error('unused')),
        writeFile: () => Promise.resolve(),
        appendFile: (file: string, text: string) => {
          written.set(file, (written.get(file) ?? '') + text);
          return Promise.resolve();
        },
        watch: () => () => undefined,
      },
    };
  }

  it('keeps the newest entries up to its capacity', () => {
    const log = new LogBook({ now: () => 0, onEntry: () => undefined, capacity: 3 });
    for (const message of ['a', 'b', 'c', 'd']) log.add('info', 'app', message);
    expect(log.entries().map((entry) => entry.message)).toEqual(['b', 'c', 'd']);
  });

  it('writes one file per UTC day, lines in order', async () => {
    let now = Date.UTC(2025, 10, 23, 23, 59, 59);
    const { files, written } = memoryFiles();
    const seen: string[] = [];
    const log = new LogBook({ now: () => now, onEntry: (entry) => seen.push(entry.message), file: { files, directory: '/logs', joinPath: (d, n) => `${d}/${n}` } });
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
    files.appendFile = () => Promise.reject(new Error('EROFS: read-only file system'));
    const log = new LogBook({ now: () => 0, onEntry: () => undefined, file: { files, directory: '/ro', joinPath: (d, n) => `${d}/${n}` } });
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
    expect(formatLogLine({ time: 0, level: 'warn', topic: 'usb', message: 'stall' })).toBe('1970-01-01T00:00:00.000Z WARN  usb: stall');
  });
});
