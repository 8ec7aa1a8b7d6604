// Output files from the real CLI process: a destination that cannot be written is found before the
// device is touched (exit 8, the problem named), and a write that fails half-way (a file-size limit
// stands in for a full disk: the kernel fails the write with EFBIG exactly where ENOSPC would
// come) leaves no file under the final name. The unit tests of node/outputFile.ts cover ENOSPC.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFoundingFiles } from './testing/foundingImage.js';
import { runCliProcess } from './testing/cliProcess.js';

const L073 = ['--simulate', 'stm32l073', '--sim-speed', '200'];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let files: { folder: string; hex: string };
beforeAll(() => {
  files = writeFoundingFiles();
});

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const phasesOf = (json: readonly Json[]) => json.filter((line) => line.type === 'phase').map((line) => String(line.phase));

describe('output files of the CLI', () => {
  it('read -o into a missing folder fails at once with exit 8, before the device is read', async () => {
    const target = join(files.folder, 'no-such-folder', 'backup.hex');
    const run = await runCliProcess(['read', ...L073, '-o', target, '--json']);
    expect(run.code).toBe(8);
    expect(run.result.error).toMatchObject({ kind: 'output-file', problem: 'no-folder', path: target });
    expect(phasesOf(run.json)).toEqual([]);
    const human = await runCliProcess(['read', ...L073, '-o', target]);
    expect(human.stderr).toContain(`error: cannot write ${target}: the folder ${join(files.folder, 'no-such-folder')} does not exist`);
  });

  it('read -o onto a folder, or into a place it may not write, is refused the same way', async () => {
    const folder = join(files.folder, 'a-folder.hex');
    mkdirSync(folder, { recursive: true });
    const onFolder = await runCliProcess(['read', ...L073, '-o', folder, '--json']);
    expect(onFolder.code).toBe(8);
    expect(onFolder.result.error).toMatchObject({ problem: 'is-folder' });
    // sysfs refuses new files even to root: a place nobody may write.
    const denied = await runCliProcess(['read', ...L073, '-o', '/sys/backup.hex', '--json']);
    expect(denied.code).toBe(8);
    expect(denied.result.error).toMatchObject({ problem: 'not-writable' });
    expect(phasesOf(denied.json)).toEqual([]);
  });

  it('read -o on a full disk leaves the previous backup and no partial file (exit 8)', async (context) => {
    if (!hasPrlimit) context.skip();
    const folder = join(files.folder, 'full-disk-read');
    mkdirSync(folder, { recursive: true });
    const target = join(folder, 'backup.hex');
    writeFileSync(target, 'the previous backup\n');
    const run = await runCliProcess(['read', ...L073, '--length', '64K', '-o', target, '--json'], { wrapper: ['prlimit', '--fsize=16384'] });
    expect(run.code).toBe(8);
    expect(run.result.error).toMatchObject({ kind: 'output-file', problem: 'disk-full' });
    expect(readFileSync(target, 'utf8')).toBe('the previous backup\n');
    expect(readdirSync(folder)).toEqual(['backup.hex']);
  });

  it('flash --report on a full disk: the board is flashed and verified, the run exits 8 and says so', async (context) => {
    if (!hasPrlimit) context.skip();
    const folder = join(files.folder, 'full-disk-report');
    mkdirSync(folder, { recursive: true });
    const run = await runCliProcess(['flash', files.hex, ...L073, '--report', join(folder, 'board.md'), '--json'], { wrapper: ['prlimit', '--fsize=1024'] });
    expect(run.code).toBe(8);
    const device = (run.result as Json).devices[0];
    expect(device.verify).toMatchObject({ isMatch: true });
    expect(device.error).toMatchObject({ kind: 'output-file', problem: 'disk-full' });
    expect(run.json.some((line) => line.type === 'warning' && /the report could not be written \(the board itself succeeded\)/.test(String(line.message)))).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('--report and --log into a missing folder fail before any device is opened', async () => {
    const missing = join(files.folder, 'missing-folder');
    const report = await runCliProcess(['flash', files.hex, ...L073, '--report', join(missing, 'r.md'), '--json']);
    expect(report.code).toBe(8);
    expect(report.result.error).toMatchObject({ kind: 'output-file', problem: 'no-folder' });
    expect(phasesOf(report.json)).toEqual([]);
    const log = await runCliProcess(['flash', files.hex, ...L073, '--log', join(missing, 'run.log'), '--json']);
    expect(log.code).toBe(8);
    expect(log.result.error).toMatchObject({ kind: 'output-file', problem: 'no-folder' });
    expect(phasesOf(log.json)).toEqual([]);
    expect(existsSync(missing)).toBe(false);
  });

  it('--log is complete under its name when the run ends, and nothing else is left beside it', async () => {
    const folder = join(files.folder, 'log-folder');
    mkdirSync(folder, { recursive: true });
    const run = await runCliProcess(['flash', files.hex, ...L073, '--log', join(folder, 'run.log')]);
    expect(run.code).toBe(0);
    expect(readdirSync(folder)).toEqual(['run.log']);
    const lines = readFileSync(join(folder, 'run.log'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'result', ok: true });
  });
});
