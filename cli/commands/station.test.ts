import { join } from 'node:path';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

// JSON output is checked field by field; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const blinky = join(repoRoot, 'core/testing/fixtures/firmware/blinky.hex');

describe('dfu-desk flash --watch (station mode)', () => {
  it('flashes each board as it is plugged in, one result line per board, and stops after --boards N', async () => {
    const run = await runCliProcess([
      'flash',
      blinky,
      '--watch',
      '--simulate',
      'stm32l073x3',
      '--simulate-hotplug',
      '40',
      '--boards',
      '3',
      '--sim-speed',
      '100',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const attached = run.json.filter((e) => e.type === 'device' && e.event === 'attach').map((e) => String(e.device));
    expect(attached).toEqual(['sim:1', 'sim:2', 'sim:3']);
    const results = run.json.filter((e) => e.type === 'device-result') as Json[];
    expect(results.map((r) => Number(r.board))).toEqual([1, 2, 3]);
    expect(results.every((r) => r.ok && r.verify.isMatch)).toBe(true);
    expect(run.result).toMatchObject({ type: 'result', command: 'flash', ok: true, boards: 3, passed: 3, failed: 0 });
  });

  it('runs until Ctrl-C and ends with a tally', async () => {
    let stopped = false;
    const run = await runCliProcess(['flash', blinky, '--watch', '--simulate', 'stm32l073x2', '--simulate-hotplug', '30', '--sim-speed', '100'], {
      onStdout: (child, stdout) => {
        if (!stopped && (stdout.match(/PASSED/g) ?? []).length === 2) {
          stopped = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped).toBe(true);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Station: flashing blinky\.hex/);
    expect(run.stdout).toMatch(/^\[sim:1\] PASSED serial \S+ at sim-1: 228 B written, verified, .* \(1 passed, 0 failed\)$/m);
    expect(run.stdout).toMatch(/^\[sim:2\] PASSED .* \(2 passed, 0 failed\)$/m);
    expect(run.stdout).toContain('Station stopped: 2 boards, 2 passed, 0 failed');
  });
});
