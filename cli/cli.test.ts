import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCliProcess } from './testing/cliProcess.js';

const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('dfu-desk (global behaviour)', () => {
  it('prints the version from package.json', async () => {
    const run = await runCliProcess(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`dfu-desk ${packageVersion}\n`);
  });

  it('lists the commands with --help and exits 0; without arguments it exits 2', async () => {
    const help = await runCliProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: dfu-desk <command>/);
    expect(help.stdout).toMatch(/\n {2}layout +Parse a DfuSe/);
    const bare = await runCliProcess([]);
    expect(bare.code).toBe(2);
  });

  it('shows the options of a command with --help', async () => {
    const run = await runCliProcess(['layout', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: dfu-desk layout STRING [options]');
    expect(run.stdout).toContain('--sectors');
  });

  it('rejects an unknown command with exit code 2 and the list of commands', async () => {
    const run = await runCliProcess(['flsh', 'x.hex']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: invalid command: unknown command 'flsh' \(commands: .*layout/);
  });

  it('rejects an unknown option with exit code 2, also as a JSON result', async () => {
    const human = await runCliProcess(['layout', '@x/0x0/1*1Kg', '--frobnicate']);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("unknown option '--frobnicate'");
    expect(human.stderr).toContain('Usage: dfu-desk layout STRING [options]');
    const json = await runCliProcess(['layout', '--frobnicate', '--json']);
    expect(json.code).toBe(2);
    expect(json.result).toMatchObject({ type: 'result', command: 'layout', ok: false, exitCode: 2, error: { kind: 'invalid-argument' } });
  });

  it('rejects a missing positional argument with exit code 2', async () => {
    const run = await runCliProcess(['layout']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing STRING');
  });

  it('runs from the TypeScript source through tsx when there is no build (fresh checkout)', async () => {
    const run = await runCliProcess(['layout', '@Internal Flash  /0x08000000/1536*128g', '--json'], { fromSource: true });
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ ok: true, region: { sectorCount: 1536 } });
  });
});
