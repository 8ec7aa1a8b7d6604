// --flash-size on the STM32L072xB simulator, whose bootloader describes 192 KiB for 128 KiB of
// flash and hangs when anything at or above 0x08020000 is erased, written or read (reference §7.1).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIntelHex } from '../../core/image/intelHex.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const L072XB = ['--simulate', 'stm32l072xb', '--sim-speed', '200'];
const blinkyBin = join(repoRoot, 'core/testing/fixtures/firmware/blinky-flash.bin');
const limit = ['--flash-size', '128K'];

describe('dfu-desk --flash-size (STM32L072xB)', () => {
  it('flash refuses an image that reaches the limit before any DFU request (exit 3), naming the address and the limit', async () => {
    const run = await runCliProcess(['flash', blinkyBin, ...L072XB, ...limit, '--address', '0x0801FF80', '--json']);
    expect(run.code).toBe(3);
    expect(run.result).toMatchObject({ error: { kind: 'not-writable', address: 0x08020000, region: 'Internal Flash' } });
    expect(JSON.stringify(run.result)).toContain('the 128 KiB flash-size limit (flash ends at 0x08020000; the bootloader describes 192 KiB)');
    expect(run.json.some((e) => e.type === 'phase')).toBe(false);
    const human = await runCliProcess(['verify', blinkyBin, ...L072XB, ...limit, '--address', '0x0801FF80']);
    expect(human.code).toBe(3);
    expect(human.stderr).toContain('error: 0x08020000 is not writable in Internal Flash: at or above the 128 KiB flash-size limit');
  });

  it('without --flash-size the register read at connect refuses the image before anything is erased (exit 3)', async () => {
    const run = await runCliProcess(['flash', blinkyBin, ...L072XB, '--address', '0x0801FF80', '--json']);
    expect(run.code).toBe(3);
    expect(run.result).toMatchObject({ error: { kind: 'not-writable', address: 0x08020000 } });
    expect(JSON.stringify(run.result)).toContain('the 128 KiB flash size from the flash-size register (flash ends at 0x08020000; the bootloader describes 192 KiB)');
    // The human output says why the plan printed before connecting is not the one that runs.
    const human = await runCliProcess(['flash', blinkyBin, ...L072XB, '--address', '0x0801FF80']);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('Replan   the flash-size register says 128 KiB of flash');
    expect(human.stdout).not.toMatch(/^erase /m);
    expect(run.json.some((e) => e.type === 'phase' && e.phase === 'erase')).toBe(false);
  });

  it('flash writes and verifies an image that fits', async () => {
    const run = await runCliProcess(['flash', blinkyBin, ...L072XB, ...limit, '--json']);
    expect(run.code).toBe(0);
    expect((run.result as Json).devices[0]).toMatchObject({ verify: { isMatch: true }, plans: [{ eraseMode: 'touched' }] });
  });

  it('erase --mass becomes sector erases below the limit; a range across it is refused before any DFU request (exit 2)', async () => {
    const mass = await runCliProcess(['erase', '--mass', ...L072XB, ...limit, '--json']);
    expect(mass.code).toBe(0);
    expect(mass.result).toMatchObject({ mode: 'mass', flashSizeLimit: { end: 0x08020000, sizeBytes: 128 * 1024 }, sectorsErased: 1024 });
    const range = await runCliProcess(['erase', '--range', '0x0801FF80:256', ...L072XB, ...limit, '--json']);
    expect(range.code).toBe(2);
    expect(range.result).toMatchObject({ error: { kind: 'invalid-argument', argument: '--range' } });
    expect(JSON.stringify(range.result)).toContain('erasing would reach 0x08020000');
    expect(range.json.some((e) => e.type === 'phase')).toBe(false);
  });

  it('read stops at the limit by default and refuses a length across it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dfu-desk-flash-size-')), 'backup.hex');
    const read = await runCliProcess(['read', ...L072XB, ...limit, '-o', out, '--json']);
    expect(read.code).toBe(0);
    expect(read.result).toMatchObject({ start: 0x08000000, end: 0x08020000, bytesRead: 128 * 1024 });
    expect(parseIntelHex(readFileSync(out, 'utf8')).image.end).toBe(0x08020000);
    const across = await runCliProcess(['read', ...L072XB, ...limit, '--length', '192K', '-o', out]);
    expect(across.code).toBe(2);
    expect(across.stderr).toContain('reading would reach 0x08020000, above the 128 KiB flash-size limit');
  });

  it('without --flash-size, read and erase --mass stop where the flash-size register read at connect says the flash ends', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dfu-desk-flash-size-')), 'backup.bin');
    const read = await runCliProcess(['read', ...L072XB, '-o', out, '--json']);
    expect(read.code).toBe(0);
    expect(read.result).toMatchObject({ start: 0x08000000, end: 0x08020000, bytesRead: 128 * 1024 });
    const mass = await runCliProcess(['erase', '--mass', ...L072XB, '--json']);
    expect(mass.code).toBe(0);
    expect(mass.result).toMatchObject({ mode: 'mass', flashSizeLimit: { end: 0x08020000, sizeBytes: 128 * 1024 }, sectorsErased: 1024 });
    // Under read protection the register cannot be read: the mass erase is refused, nothing erased.
    const unknown = await runCliProcess(['erase', '--mass', '--simulate', 'stm32l072xb:readProtected', '--sim-speed', '200', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.result).toMatchObject({ error: { kind: 'invalid-argument', argument: '--flash-size' } });
    expect(unknown.json.some((e) => e.type === 'phase' && e.phase === 'erase')).toBe(false);
  });

  it('flash --erase mass waits for the register as erase --mass does: the L073 mass-erases without --flash-size, a chip whose register cannot be read is refused before any erase', async () => {
    const l073 = await runCliProcess(['flash', blinkyBin, '--erase', 'mass', '--simulate', 'stm32l073', '--sim-speed', '200']);
    expect(l073.code).toBe(0);
    expect(l073.stdout).toContain('Replan   the flash-size register says 192 KiB of flash');
    expect(l073.stdout).toMatch(/Plan {5}Internal Flash \(alt 0\): mass erase/);
    expect(l073.stderr).toContain('the DfuSe mass erase is unverified on this bootloader');
    const unknown = await runCliProcess(['flash', blinkyBin, '--erase', 'mass', '--simulate', 'stm32l072xb:readProtected', '--sim-speed', '200', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.result).toMatchObject({ error: { kind: 'invalid-argument', argument: '--flash-size' } });
    expect(unknown.json.some((e) => e.type === 'phase' && e.phase === 'erase')).toBe(false);
    // --plan touches nothing, so it refuses at once.
    const planned = await runCliProcess(['flash', blinkyBin, '--erase', 'mass', '--simulate', 'stm32l073', '--plan']);
    expect(planned.code).toBe(2);
  });

  it('rejects a malformed or tiny --flash-size (exit 2)', async () => {
    const malformed = await runCliProcess(['flash', blinkyBin, ...L072XB, '--flash-size', 'lots']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("invalid --flash-size: 'lots' is not a length");
    const tiny = await runCliProcess(['erase', '--mass', ...L072XB, '--flash-size', '512']);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toContain('is below 1K');
  });
});
