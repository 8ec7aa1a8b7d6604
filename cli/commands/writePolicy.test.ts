// The write policy through the CLI (the same cases electron/main/writePolicy.test.ts runs through
// the app's service): `--alt` and .dfu targets do not get around it, and every refusal comes
// before the first DFU request (no phase event at all).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { f4FactoryOptionBytes } from '../../core/simulator/optionBytesModel.js';
import { nonErasedBytes } from '../../core/simulator/pseudoRandom.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

const F405 = ['--simulate', 'stm32f405', '--sim-speed', '200'];
const L073 = ['--simulate', 'stm32l073', '--sim-speed', '200'];
const blinkyHex = join(repoRoot, 'core/testing/fixtures/firmware/blinky.hex');
const blinkyDfu = join(repoRoot, 'core/testing/fixtures/firmware/blinky.dfu');
let folder: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const phases = (run: { json: Record<string, unknown>[] }) => run.json.filter((e) => e.type === 'phase').map((e) => `${String(e.phase)}:${String(e.status)}`);

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

function optionBlock(rdp: number): Uint8Array {
  const raw = f4FactoryOptionBytes().slice();
  raw[1] = rdp;
  return raw;
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'dfu-desk-policy-'));
});

describe('dfu-desk write policy', () => {
  it('info names each region\'s role and what the policy lets the image path do there', async () => {
    const run = await runCliProcess(['info', '--simulate', 'stm32f407', '--json']);
    expect(run.code).toBe(0);
    const alternates = (run.result as Json).device.alternates as Json[];
    expect(alternates.map((a) => a.role)).toEqual(['flash', 'option-bytes', 'otp', 'device-feature']);
    expect(alternates[0]!.policy).toMatch(/^main flash: .*a mass erase clears it \(known to work/);
    expect(alternates[2]!.policy).toContain('needs --write-otp');
    const l073 = await runCliProcess(['info', '--simulate', 'stm32l073']);
    expect(l073.stdout).toMatch(/policy +main flash: .*unverified on this bootloader/);
  });

  it("flash ob.bin --alt 'Option Bytes' (RDP 0xCC) needs --write-option-bytes and --permanently-lock-chip; nothing is sent without them", async () => {
    const ob = file('ob.bin', optionBlock(0xcc));
    const plain = await runCliProcess(['flash', ob, '--alt', 'Option Bytes', ...F405, '--json']);
    expect(plain.code).toBe(2);
    expect((plain.result as Json).error).toMatchObject({ kind: 'confirmation-required', action: 'write-option-bytes' });
    expect(phases(plain)).toEqual([]);
    const half = await runCliProcess(['flash', ob, '--alt', 'Option Bytes', ...F405, '--write-option-bytes']);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('permanent-lock needs explicit confirmation');
    expect(half.stderr).toContain('--permanently-lock-chip');
    expect(half.stdout).not.toContain('connect');
  });

  it('a raw option-byte block at level 0 is written last with --write-option-bytes, and the plan says so', async () => {
    const ob = file('ob-level0.bin', optionBlock(0xaa));
    const planned = await runCliProcess(['flash', ob, '--alt', '1', ...F405, '--plan']);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('Confirm  Write raw option bytes from the file: writes the 16-byte option-byte block at 0x1FFFC000');
    const run = await runCliProcess(['flash', ob, '--alt', '1', ...F405, '--write-option-bytes', '--json']);
    expect(run.code).toBe(0);
    expect(phases(run)).toEqual(['connect:start', 'connect:finish', 'option-bytes:start', 'option-bytes:finish']);
    expect(JSON.stringify(run.result)).toContain('option bytes at 0x1FFFC000 written; the device resets to apply them');
    // A bootloader that answers the write without resetting: the note says what to do instead.
    const stays = await runCliProcess(['flash', ob, '--alt', '1', ...F405.map((arg) => (arg === 'stm32f405' ? 'stm32f405:noResetAfterOptionBytes' : arg)), '--write-option-bytes', '--json']);
    expect(stays.code).toBe(0);
    expect(JSON.stringify(stays.result)).toContain('option bytes at 0x1FFFC000 written; the bootloader did not reset, so they apply at the next reset');
  });

  it('a HEX that writes the F405 OTP area and its lock bytes needs --write-otp', async () => {
    const otp = file(
      'otp.hex',
      writeIntelHex(
        MemoryImage.fromBlocks([
          { start: 0x1fff7800, data: new Uint8Array(32).fill(0x42) },
          { start: 0x1fff7a00, data: new Uint8Array([0x00]) },
        ]),
      ),
    );
    const refused = await runCliProcess(['flash', otp, ...F405]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('write-otp needs explicit confirmation');
    expect(refused.stderr).toContain('hint: add --write-otp to confirm.');
    const run = await runCliProcess(['flash', otp, ...F405, '--write-otp', '--json']);
    expect(run.code).toBe(0);
    expect((run.result as Json).devices[0].verify).toMatchObject({ isMatch: true, bytesCompared: 33 });
  });

  it('--leave after a failed verification does not start the firmware (exit 6, no leave request)', async () => {
    const hex = file('app.hex', writeIntelHex(MemoryImage.fromBytes(0x08000000, nonErasedBytes(4096, 3))));
    const run = await runCliProcess(['flash', hex, ...L073, '--erase', 'none', '--leave', '--json']);
    expect(run.code).toBe(6);
    expect(phases(run)).not.toContain('leave:start');
    expect(JSON.stringify(run.result)).toContain('not started: the verification failed');
  });

  it("erase --mass --alt 1 is refused where the option-byte alt says it is erasable (F407 'g'): a mass erase would clear the flash", async () => {
    const run = await runCliProcess(['erase', '--mass', '--alt', '1', '--simulate', 'stm32f407', '--json']);
    expect(run.code).toBe(2);
    expect((run.result as Json).error).toMatchObject({ kind: 'invalid-argument', argument: '--alt' });
    expect(phases(run)).toEqual([]);
  });

  it('flash --erase mass with STM32L0 data EEPROM in the image works: the EEPROM part erases nothing', async () => {
    const run = await runCliProcess(['flash', blinkyHex, ...L073, '--erase', 'mass', '--flash-size', '192K', '--json']);
    expect(run.code).toBe(0);
    const plans = (run.result as Json).devices[0].plans as Json[];
    expect(plans.map((p) => [p.region, p.eraseMode])).toEqual([
      ['Internal Flash', 'mass'],
      ['DATA Memory', 'none'],
    ]);
  });

  it('erase --range refuses a sector that reaches past --flash-size (F405, 100K inside sector 4)', async () => {
    const run = await runCliProcess(['erase', '--range', '0x08018000:16', ...F405, '--flash-size', '100K']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('erasing would reach 0x08019000');
  });

  it('a two-target .dfu (flash and DATA EEPROM) is written whole', async () => {
    const run = await runCliProcess(['flash', blinkyDfu, ...L073, '--json']);
    expect(run.code).toBe(0);
    expect(((run.result as Json).devices[0].plans as Json[]).map((p) => p.region)).toEqual(['Internal Flash', 'DATA Memory']);
  });

  it('a .dfu made for another USB device needs --ignore-file-id', async () => {
    const other = file('other.dfu', writeDfuFile({ targets: [{ alternate: 0, image: MemoryImage.fromBytes(0x08000000, nonErasedBytes(512, 5)) }], vendorId: 0x1234, productId: 0x5678 }));
    const refused = await runCliProcess(['flash', other, ...L073]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('says it is for USB device 1234:5678; this device is 0483:DF11');
    expect((await runCliProcess(['flash', other, ...L073, '--ignore-file-id'])).code).toBe(0);
    // verify takes the flag too (each run is a fresh simulated board, so it compares and mismatches).
    expect((await runCliProcess(['verify', other, ...L073])).code).toBe(2);
    expect((await runCliProcess(['verify', other, ...L073, '--ignore-file-id'])).code).toBe(6);
  });

  it('--all refuses a board unlike the first one: STM32L073 firmware is not put on an STM32F405 (exit 4)', async () => {
    const hex = file('l0.hex', writeIntelHex(MemoryImage.fromBytes(0x08000000, nonErasedBytes(2048, 9)).join(MemoryImage.fromBytes(0x08080000, new Uint8Array(16).fill(7)))));
    const run = await runCliProcess(['flash', hex, '--all', '--simulate', 'stm32l073', '--simulate', 'stm32f405', '--sim-speed', '200', '--json']);
    expect(run.code).toBe(4);
    const devices = (run.result as Json).devices as Json[];
    expect(devices.map((d) => [d.device.family, d.ok])).toEqual([
      ['L0', true],
      ['F4', false],
    ]);
    expect(devices[1]!.error).toMatchObject({ kind: 'board-mismatch', reason: 'it is an STM32F4, not an STM32L0' });
    expect(devices[1]!.plans).toEqual([]);
  });

  it('station mode refuses a board unlike the first one that connected', async () => {
    const hex = file('station.hex', writeIntelHex(MemoryImage.fromBytes(0x08000000, nonErasedBytes(1024, 4))));
    const run = await runCliProcess(
      ['flash', hex, '--watch', '--boards', '3', '--simulate', 'stm32l073', '--simulate', 'stm32f405', '--simulate', 'stm32l073', '--simulate-hotplug', '60', '--sim-speed', '200'],
      { timeoutMs: 30_000 },
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/\[sim:2\] FAILED .*board refused: it is an STM32F4, not an STM32L0/);
    expect(run.stdout).toContain('Station stopped: 3 boards, 2 passed, 1 failed');
  });
});
