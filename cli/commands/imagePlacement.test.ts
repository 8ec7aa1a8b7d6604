// A raw binary always says where it goes in `flash --plan`: every kind of raw input (.bin, a .dfu
// that is only a binary with a DFU suffix, an unknown extension read with --format bin), with the
// default address and with --address; an unknown extension without --format is refused.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDfuSuffix } from '../../core/image/dfuFile.js';
import { xorshiftBytes } from '../../core/simulator/pseudoRandom.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

const L073 = ['--simulate', 'stm32l073', '--sim-speed', '200'];
const blinkyBin = join(repoRoot, 'core/testing/fixtures/firmware/blinky-flash.bin');

describe('dfu-desk flash --plan: where a raw binary goes', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'dfu-desk-placement-'));
    const raw = new Uint8Array(readFileSync(blinkyBin));
    writeFileSync(join(folder, 'plain.dfu'), addDfuSuffix(raw, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0 }));
    copyFileSync(blinkyBin, join(folder, 'firmware.img'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it.each([
    ['a .bin at the default address', () => [blinkyBin], '0x08000000'],
    ['a .bin at --address', () => [blinkyBin, '--address', '0x08004000'], '0x08004000'],
    ['a suffix-only .dfu', () => [join(folder, 'plain.dfu'), '--address', '0x08008000'], '0x08008000'],
    ['an unknown extension with --format bin', () => [join(folder, 'firmware.img'), '--format', 'bin'], '0x08000000'],
  ])('%s', async (_, args, address) => {
    const run = await runCliProcess(['flash', ...args(), ...L073, '--plan']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Placed   raw binary at ${address}`);
  });

  it('names the base address in the JSON result of a plan and of a flash', async () => {
    const plan = await runCliProcess(['flash', blinkyBin, '--address', '0x08004000', ...L073, '--plan', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.result).toMatchObject({ devices: [{ baseAddress: 0x08004000 }] });
    const flash = await runCliProcess(['flash', join(folder, 'plain.dfu'), ...L073, '--json']);
    expect(flash.code).toBe(0);
    expect(flash.result).toMatchObject({ ok: true, devices: [{ baseAddress: 0x08000000 }] });
    const hex = await runCliProcess(['flash', join(repoRoot, 'core/testing/fixtures/firmware/blinky.hex'), ...L073, '--plan', '--json']);
    expect((hex.result as { devices: Record<string, unknown>[] }).devices[0]).not.toHaveProperty('baseAddress');
  });

  it('verify says where it compared a raw binary', async () => {
    const run = await runCliProcess(['verify', blinkyBin, '--address', '0x08004000', ...L073]);
    // A fresh simulated board does not hold the file: the comparison fails, after saying where it looked.
    expect(run.stdout).toContain('Placed   raw binary at 0x08004000');
  });

  it('refuses an unknown extension without --format, saying how to read it as a raw binary', async () => {
    const run = await runCliProcess(['flash', join(folder, 'firmware.img'), ...L073, '--plan']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--format bin');
    expect(run.stdout).not.toContain('Placed');
  });
});

describe('dfu-desk flash never writes text or random bytes named as firmware', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'dfu-desk-notfirmware-'));
    writeFileSync(join(folder, 'notes.txt'), 'Release notes\n- blink faster\n');
    writeFileSync(join(folder, 'firmware.hex'), '<!DOCTYPE html>\n<html><body>404</body></html>\n');
    writeFileSync(join(folder, 'garbage.hex'), xorshiftBytes(5 * 1024 * 1024, 12));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it.each(['notes.txt', 'firmware.hex', 'garbage.hex'])('%s: exit 3 before any device is touched', async (name) => {
    const run = await runCliProcess(['flash', join(folder, name), ...L073, '--json']);
    expect(run.code).toBe(3);
    expect(run.result).toMatchObject({ ok: false, exitCode: 3, error: { kind: 'image-format', file: name } });
    expect(run.json.some((event) => event.type === 'phase')).toBe(false);
  });
});

