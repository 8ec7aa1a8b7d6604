import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDfuFile } from '../../core/image/dfuFile.js';
import { parseIntelHex } from '../../core/image/intelHex.js';
import { runCliProcess } from '../testing/cliProcess.js';

// JSON output is checked field by field; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const fast = ['--sim-speed', '200'];
const L073 = ['--simulate', 'stm32l073', ...fast];
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'dfu-desk-cli-devices-'));
});

describe('dfu-desk list and device selection', () => {
  it('lists simulated devices; equal boards share a serial and differ by path', async () => {
    const run = await runCliProcess(['list', '--simulate', 'stm32l073x2', '--simulate', 'stm32f405', '--json']);
    expect(run.code).toBe(0);
    const devices = (run.result as Json).devices as Json[];
    expect(devices).toHaveLength(3);
    expect(run.result).toMatchObject({ devices: [{ id: 'sim:1', path: 'sim-1' }, { id: 'sim:2', path: 'sim-2' }, { id: 'sim:3', path: 'sim-3' }] });
    expect(devices[0]).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, isSimulated: true });
    expect(devices[0]!.serialNumber).toBe(devices[1]!.serialNumber);
    expect(devices[2]!.serialNumber).not.toBe(devices[0]!.serialNumber);
    const human = await runCliProcess(['list', '--simulate', 'stm32l073']);
    expect(human.stdout).toMatch(/^id +vid:pid +serial +bootloader +path +product\nsim:1 +0483:DF11 +\S+ +0x2200 +sim-1 +STM32 {2}BOOTLOADER \(simulated\)\n$/);
  });

  it('lists in natural path order (sim-2 before sim-10), in the table, the JSON and the candidates of a selection error', async () => {
    const expected = Array.from({ length: 11 }, (_, index) => `sim-${index + 1}`);
    const run = await runCliProcess(['list', '--simulate', 'stm32l073x11', '--json']);
    expect(((run.result as Json).devices as Json[]).map((device) => String(device.path))).toEqual(expected);
    const human = await runCliProcess(['list', '--simulate', 'stm32l073x11']);
    expect([...human.stdout.matchAll(/ (sim-\d+) /g)].map((match) => match[1])).toEqual(expected);
    const ambiguous = await runCliProcess(['info', '--simulate', 'stm32l073x11', ...fast, '--json']);
    expect(((ambiguous.result as Json).candidates as Json[]).map((device) => String(device.path))).toEqual(expected);
  });

  it('refuses an ambiguous selection (exit 4) listing the candidates, and selects by path', async () => {
    const ambiguous = await runCliProcess(['info', '--simulate', 'stm32l073x2', ...fast]);
    expect(ambiguous.code).toBe(4);
    expect(ambiguous.stderr).toContain('error: 2 DFU devices match: serial');
    expect(ambiguous.stderr).toContain('at path sim-1');
    expect(ambiguous.stderr).toContain('at path sim-2');
    const none = await runCliProcess(['info', '--simulate', 'stm32l073x2', ...fast, '--device', 'nope', '--json']);
    expect(none.code).toBe(4);
    expect(none.result).toMatchObject({ error: { kind: 'no-device', selector: 'nope' } });
    expect((none.result as Json).candidates).toHaveLength(2);
    const byPath = await runCliProcess(['info', '--simulate', 'stm32l073x2', ...fast, '--device', 'sim-2', '--json']);
    expect(byPath.code).toBe(0);
    expect(byPath.result).toMatchObject({ device: { id: 'sim:2', path: 'sim-2' } });
  });

  it('info shows strings, the functional descriptor, regions with their corrections and the family', async () => {
    const run = await runCliProcess(['info', ...L073]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('DFU          version 1.1a (DfuSe), transfer size 2048 B');
    expect(run.stdout).toContain('Family       STM32L0');
    expect(run.stdout).toContain('Alt 0: Internal Flash');
    expect(run.stdout).toContain("correction: position 37: no size multiplier before 'g'");
    const json = await runCliProcess(['info', '--simulate', 'stm32h743', ...fast, '--json']);
    expect(json.result).toMatchObject({ device: { family: 'H7', functional: { transferSize: 1024 } } });
  });
});

describe('dfu-desk info: notes', () => {
  it('prints DeviceInfo.notes apart from the warnings, and as notes[] in JSON', async () => {
    const run = await runCliProcess(['info', '--simulate', 'stm32l072xb', ...fast]);
    expect(run.code).toBe(0);
    // The simulated L072xB lets F_SIZE be read: the note is the correction, not the open question.
    expect(run.stdout).toMatch(/\nNotes:\n {2}Flash size corrected from the flash-size register \(F_SIZE at 0x1FF8007C\): 128 KiB, not the 192 KiB/);
    expect(run.stdout).not.toContain('Warnings:');
    const json = await runCliProcess(['info', '--simulate', 'stm32l072xb', ...fast, '--json']);
    const notes = ((json.result as Json).device as Json).notes as string[];
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('erase, write and read stop at 0x08020000');
    const f405 = await runCliProcess(['info', '--simulate', 'stm32f405', ...fast, '--json']);
    expect(((f405.result as Json).device as Json).notes).toEqual([]);
  });
});

describe('dfu-desk flash --all (gang programming)', () => {
  it('flashes three simulated boards in parallel, one result line each', async () => {
    const run = await runCliProcess(['flash', join(__dirname, '../../core/testing/fixtures/firmware/blinky.hex'), '--simulate', 'stm32l073x3', '--sim-speed', '20', '--all', '--json']);
    expect(run.code).toBe(0);
    const results = run.json.filter((e) => e.type === 'device-result') as Json[];
    expect(results.map((r) => String(r.device.path)).sort()).toEqual(['sim-1', 'sim-2', 'sim-3']);
    expect(results.every((r) => r.ok && r.verify.isMatch)).toBe(true);
    expect(run.result).toMatchObject({ ok: true, passed: 3, failed: 0 });
    // Parallel: every board has started erasing before the first one finishes writing.
    const events = run.json.map((e) => `${String(e.device)}:${String(e.phase)}:${String(e.status)}`);
    const firstWriteDone = events.findIndex((e) => e.endsWith(':write:finish'));
    for (const id of ['sim:1', 'sim:2', 'sim:3']) expect(events.indexOf(`${id}:erase:start`)).toBeLessThan(firstWriteDone);
  });

  it('keeps going when one board fails and reports it with its own exit code', async () => {
    const run = await runCliProcess([
      'flash',
      join(__dirname, '../../core/testing/fixtures/firmware/blinky.hex'),
      '--simulate',
      'stm32l073x2',
      '--simulate',
      'stm32l073:unplugMidWrite:1',
      ...fast,
      '--all',
    ]);
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(/^\[sim:1\] PASSED serial \S+ at sim-1: 228 B written, verified, /m);
    expect(run.stdout).toMatch(/^\[sim:2\] PASSED/m);
    expect(run.stdout).toMatch(/^\[sim:3\] FAILED serial \S+ at sim-3: device disconnected during write of 16 bytes at 0x08080000 \(exit 5\)$/m);
    expect(run.stdout).toContain('2 of 3 devices passed');
  });
});

describe('dfu-desk verify, read, erase, leave', () => {
  it('read writes .hex, .bin and .dfu backups that verify against the device', async () => {
    const hex = join(folder, 'backup.hex');
    const read = await runCliProcess(['read', ...L073, '--alt', '0', '--address', '0x08000000', '--length', '4K', '-o', hex, '--json']);
    expect(read.code).toBe(0);
    expect(read.result).toMatchObject({ alternate: 0, region: 'Internal Flash', start: 0x08000000, end: 0x08001000, bytesRead: 4096 });
    const image = parseIntelHex(readFileSync(hex, 'utf8')).image;
    expect(image.ranges).toEqual([{ start: 0x08000000, end: 0x08001000 }]);
    // The simulated board holds the same old application in every process, so the backup matches.
    const verify = await runCliProcess(['verify', hex, ...L073, '--json']);
    expect(verify.code).toBe(0);
    expect(verify.result).toMatchObject({ command: 'verify', ok: true, devices: [{ verify: { isMatch: true, bytesCompared: 4096 } }] });

    const dfu = join(folder, 'eeprom.dfu');
    expect((await runCliProcess(['read', ...L073, '--alt', 'DATA Memory', '-o', dfu])).code).toBe(0);
    const parsed = parseDfuFile(new Uint8Array(readFileSync(dfu)));
    expect(parsed.targets[0]).toMatchObject({ alternate: 2, name: 'DATA Memory' });
    expect(parsed.targets[0]!.image.ranges).toEqual([{ start: 0x08080000, end: 0x08081800 }]);

    const bin = join(folder, 'page.bin');
    expect((await runCliProcess(['read', ...L073, '--length', '128', '-o', bin])).code).toBe(0);
    expect(readFileSync(bin)).toHaveLength(128);

    const outside = await runCliProcess(['read', ...L073, '--address', '0x08030000', '--length', '16', '-o', bin]);
    expect(outside.code).toBe(2);
    const format = await runCliProcess(['read', ...L073, '-o', join(folder, 'x.txt')]);
    expect(format.code).toBe(2);
  });

  it('verify of a different image reports the mismatch and a diagnosis (exit 6)', async () => {
    const run = await runCliProcess(['verify', join(__dirname, '../../core/testing/fixtures/firmware/blinky.hex'), ...L073]);
    expect(run.code).toBe(6);
    expect(run.stdout).toContain('verification FAILED');
    expect(run.stdout).toMatch(/diagnosis: /);
  });

  it('erase --range erases whole sectors and says which; --mass erases the region; both at once is a usage error', async () => {
    const range = await runCliProcess(['erase', ...L073, '--range', '0x08000100:300', '--json']);
    expect(range.code).toBe(0);
    expect(range.result).toMatchObject({ sectors: [{ index: 2 }, { index: 3 }, { index: 4 }] });
    expect((range.result as Json).sectors).toHaveLength(3);
    // The L073 string is also what 128 KiB L072xB parts send: the flash-size register read at
    // connect settles it (192 KiB here), so the mass erase needs no --flash-size.
    const unsized = await runCliProcess(['erase', ...L073, '--mass']);
    expect(unsized.code).toBe(0);
    expect(unsized.stdout).toContain('Mass erased Internal Flash');
    const human = await runCliProcess(['erase', ...L073, '--mass', '--flash-size', '192K']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Mass erased Internal Flash');
    expect(human.stderr).toContain('the DfuSe mass erase is unverified on this bootloader');
    const both = await runCliProcess(['erase', ...L073, '--mass', '--range', '0x08000000:128']);
    expect(both.code).toBe(2);
  });

  it('leave starts the application', async () => {
    const run = await runCliProcess(['leave', ...L073, '--address', '0x08000000']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Left DFU mode, starting the application at 0x08000000');
  });
});

describe('dfu-desk options and unprotect', () => {
  it('decodes the option bytes, writes a changed field, and refuses RDP level 2 without --permanently-lock-chip', async () => {
    const read = await runCliProcess(['options', ...L073, '--json']);
    expect(read.code).toBe(0);
    const block = (read.result as Json).blocks[0] as Json;
    expect(block).toMatchObject({ address: 0x1ff80000, rdpLevel: 0, hasRdp: true });
    expect((block.fields as Json[]).find((f) => f.id === 'rdp')).toMatchObject({ value: 0xaa });

    expect((block.fields as Json[]).find((f) => f.id === 'iwdg_sw')).toMatchObject({ bitName: 'IWDG_SW', value: 1, meaning: 'Software watchdog (started by firmware)' });

    // By bit name and meaning; the change is echoed in words.
    const write = await runCliProcess(['options', ...L073, '--set', 'IWDG_SW=Hardware watchdog (starts at reset)', '--json']);
    expect(write.code).toBe(0);
    expect(write.result).toMatchObject({
      written: true,
      changes: [{ field: 'iwdg_sw', from: 1, to: 0, fromMeaning: 'Software watchdog (started by firmware)', toMeaning: 'Hardware watchdog (starts at reset)' }],
    });

    // nBOOT1 = 0 cuts the BOOT0 path to the bootloader: refused until the risk is accepted.
    const lockout = await runCliProcess(['options', ...L073, '--set', 'nboot1=0']);
    expect(lockout.code).toBe(2);
    expect(lockout.stderr).toContain('nBOOT1 = 0: with BOOT0 held high the chip starts SRAM instead of the DFU bootloader');
    expect(lockout.stderr).toContain('--accept-lockout-risk');
    const accepted = await runCliProcess(['options', ...L073, '--set', 'nboot1=0', '--accept-lockout-risk', '--json']);
    expect(accepted.code).toBe(0);
    expect(accepted.result).toMatchObject({ written: true, changes: [{ field: 'nboot1', from: 1, to: 0 }] });

    const rdp2 = await runCliProcess(['options', ...L073, '--set', 'rdp=0xCC']);
    expect(rdp2.code).toBe(2);
    expect(rdp2.stderr).toContain('permanent-lock needs explicit confirmation');
    expect(rdp2.stderr).toContain('--permanently-lock-chip');
    const malformed = await runCliProcess(['options', ...L073, '--set', 'rdp']);
    expect(malformed.code).toBe(2);
  });

  it('unprotect needs --yes, then removes read protection from a protected chip', async () => {
    const refused = await runCliProcess(['unprotect', '--simulate', 'stm32l073:readProtected', ...fast]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('add --yes');
    const protectedRead = await runCliProcess(['read', '--simulate', 'stm32l073:readProtected', ...fast, '--length', '16', '-o', join(folder, 'p.bin')]);
    expect(protectedRead.code).toBe(5);
    expect(protectedRead.stderr).toContain('unprotect --yes');
    const done = await runCliProcess(['unprotect', '--yes', '--simulate', 'stm32l073:readProtected', ...fast, '--json']);
    expect(done.code).toBe(0);
    expect(done.result).toMatchObject({ reset: true });
  });

  it('says so when the bootloader did not reset after an option-byte write or read unprotect (the change waits for the next reset)', async () => {
    const write = await runCliProcess(['options', '--simulate', 'stm32l073:noResetAfterOptionBytes', ...fast, '--set', 'IWDG_SW=Hardware watchdog (starts at reset)']);
    expect(write.code).toBe(0);
    expect(write.stdout).toContain('the bootloader did not reset, so they apply at the next reset: power-cycle the board');
    expect(write.stdout).not.toContain('the device resets to apply them');
    const json = await runCliProcess(['options', '--simulate', 'stm32l073:noResetAfterOptionBytes', ...fast, '--set', 'IWDG_SW=Hardware watchdog (starts at reset)', '--json']);
    expect(json.result).toMatchObject({ written: true, reset: false });
    const unprotect = await runCliProcess(['unprotect', '--yes', '--simulate', 'stm32f405:readUnprotectNoOp', ...fast]);
    expect(unprotect.code).toBe(0);
    expect(unprotect.stdout).toContain('Read unprotect accepted without a reset');
  });
});
