import fc from 'fast-check';
import { describe as describeError } from '../errors.js';
import { familyFacts } from '../devices/stm32.js';
import { MemoryImage } from '../image/memoryImage.js';
import { buildDescriptors, type DescriptorInput } from '../simulator/descriptorBuilder.js';
import { capturedDescriptors as captured } from '../testing/fixtures/descriptors.js';
import { describeDevice, type DeviceInfo } from '../usb/descriptors.js';
import type { DfuTransport } from '../usb/transport.js';
import { sectorAt } from './memoryLayout.js';
import { formatPlan, planImage, planProgram, type ProgramOptions } from './plan.js';
import { dfuErrorOf } from '../testing/dfuErrorOf.js';

function deviceInfo(overrides: Partial<DescriptorInput>): DeviceInfo {
  const input: DescriptorInput = {
    vendorId: 0x0483,
    productId: 0xdf11,
    bcdDevice: 0x2200,
    manufacturer: 'STMicroelectronics',
    product: 'STM32  BOOTLOADER',
    serial: '1',
    alternateNames: [],
    attributes: 0x0b,
    detachTimeoutMs: 255,
    transferSize: 2048,
    ...overrides,
  };
  return describeDevice({
    summary: { id: 'test', vendorId: input.vendorId, productId: input.productId, bcdDevice: input.bcdDevice, path: '1', isSimulated: true },
    descriptors: buildDescriptors(input),
    interfaceNumber: 0,
    transport: {} as DfuTransport,
  });
}

const l073 = deviceInfo({ alternateNames: [captured.l07xFlash.descriptor, captured.l07xOptionBytes.descriptor, captured.l07xDataMemory.descriptor] });
const f405 = deviceInfo({
  alternateNames: [captured.f405Flash.descriptor, captured.f405OptionBytes.descriptor, captured.f405Otp.descriptor, captured.f405DeviceFeature.descriptor],
});
const h743 = deviceInfo({ bcdDevice: 0x0200, product: 'DFU in FS Mode', transferSize: 1024, alternateNames: [captured.h743Flash.descriptor, captured.h743OptionBytes.descriptor] });

const touched: ProgramOptions = { erase: 'touched', verify: true };

/** Deterministic non-trivial bytes with no erased-value runs (so no chunk is skipped by accident). */
function firmware(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 1 + ((x >>> 16) % 254);
  }
  return out;
}


describe('planProgram', () => {
  it('founding case: a 66,748-byte image at 0x08000000 on the L073 erases exactly pages 0-521', () => {
    const image = MemoryImage.fromBytes(0x08000000, firmware(66_748));
    const plan = planProgram({ image, info: l073, alternate: 0, options: touched });
    expect(plan.sectors).toHaveLength(522);
    expect(plan.sectors[0]).toMatchObject({ index: 0, start: 0x08000000, end: 0x08000080 });
    expect(plan.sectors[521]).toMatchObject({ index: 521, start: 0x08010480, end: 0x08010500 });
    expect(plan.chunks.every((c) => c.data.length <= 2048 && c.address % 2048 === 0)).toBe(true);
    expect(plan.bytesToWrite).toBe(66_748);
    expect(formatPlan(plan)).toMatchInlineSnapshot(`
      "plan Internal Flash (alt 0): erase touched; transfer 2048 B, erased 0x00
      erase 522 sectors (65.3 KiB): #0-#521 [0x08000000, 0x08010500)
      write 66748 B in 33 chunks: [0x08000000, 0x080104BC)
      verify 65.2 KiB: [0x08000000, 0x080104BC)
      ! destroys-data: sector 521 [0x08010480, 0x08010500) is only partly covered by the image: erasing it destroys 68 B that may hold data (use preserve to keep them)
      estimated 6.84 s"
    `);
  });

  it('refuses to skip the erase silently: erase none is planned with a loud warning naming the consequence', () => {
    const image = MemoryImage.fromBytes(0x08000000, firmware(4096));
    const plan = planProgram({ image, info: l073, alternate: 0, options: { erase: 'none', verify: true } });
    expect(plan.sectors).toEqual([]);
    expect(plan.chunks).toHaveLength(2);
    expect(plan.warnings.find((w) => w.kind === 'erase-skipped')?.message).toMatch(/^ERASE SKIPPED: 32 erasable sectors .* keeps its old data/);
  });

  it('pads unaligned data to the program unit with the erased value and splits at transfer-size boundaries', () => {
    const image = MemoryImage.fromBytes(0x08004003, Uint8Array.of(1, 2, 3, 4, 5, 6));
    const plan = planProgram({ image, info: f405, alternate: 0, options: touched });
    expect(plan.chunks).toHaveLength(1);
    expect(plan.chunks[0]!.address).toBe(0x08004000);
    expect(Array.from(plan.chunks[0]!.data)).toEqual([0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0xff, 0xff, 0xff]);
    expect(plan.verifyRanges).toEqual([{ start: 0x08004003, end: 0x08004009 }]);
    expect(plan.sectors.map((s) => s.index)).toEqual([1]);

    const wide = MemoryImage.fromBytes(0x080047f0, firmware(0x40));
    const chunks = planProgram({ image: wide, info: f405, alternate: 0, options: touched }).chunks;
    expect(chunks.map((c) => [c.address, c.data.length])).toEqual([
      [0x080047f0, 0x10],
      [0x08004800, 0x30],
    ]);
  });

  it('uses the H743 transfer size (1024) and its 32-byte flash word', () => {
    const image = MemoryImage.fromBytes(0x08000005, firmware(3000));
    const plan = planProgram({ image, info: h743, alternate: 0, options: touched });
    expect(plan.chunks.map((c) => [c.address - 0x08000000, c.data.length])).toEqual([
      [0, 1024],
      [1024, 1024],
      [2048, 960],
    ]);
    expect(plan.sectors.map((s) => [s.index, s.end - s.start])).toEqual([[0, 128 * 1024]]);
  });

  it('skips chunks that equal the erased value after an erase, unless told not to', () => {
    const data = firmware(3 * 2048);
    data.fill(0xff, 2048, 4096);
    const image = MemoryImage.fromBytes(0x08000000, data);
    const plan = planProgram({ image, info: f405, alternate: 0, options: touched });
    expect(plan.chunks.map((c) => c.address)).toEqual([0x08000000, 0x08001000]);
    expect(plan.skippedChunks).toBe(1);
    expect(plan.verifyRanges).toEqual([{ start: 0x08000000, end: 0x08001800 }]);
    expect(planProgram({ image, info: f405, alternate: 0, options: { ...touched, skipErasedChunks: false } }).chunks).toHaveLength(3);
    // Without an erase an all-0xFF chunk is not "already there": it is sent.
    expect(planProgram({ image, info: f405, alternate: 0, options: { erase: 'none', verify: true } }).chunks).toHaveLength(3);
  });

  it('writes data EEPROM (type e: writable, not erasable) without erase and without padding', () => {
    const image = MemoryImage.fromBytes(0x08080001, Uint8Array.of(0xaa, 0xbb, 0xcc));
    const plan = planProgram({ image, info: l073, alternate: 2, options: touched });
    expect(plan.eraseMode).toBe('none');
    expect(plan.sectors).toEqual([]);
    expect(plan.chunks).toEqual([{ address: 0x08080001, data: Uint8Array.of(0xaa, 0xbb, 0xcc) }]);
    expect(plan.warnings).toEqual([]);
  });

  it('refuses bytes outside writable segments with the address and the region', () => {
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x07fffffe, firmware(4)), info: f405, alternate: 0, options: touched })).info).toMatchObject({
      kind: 'not-writable',
      address: 0x07fffffe,
      region: 'Internal Flash',
    });
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(200 * 1024)), info: l073, alternate: 0, options: touched })).info).toEqual({
      kind: 'image-too-large',
      imageEnd: 0x08032000,
      regionEnd: 0x08030000,
      region: 'Internal Flash',
    });
    const readOnly = deviceInfo({ alternateNames: ['@Internal Flash  /0x08000000/04*016Ka,04*016Kg'] });
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(8)), info: readOnly, alternate: 0, options: touched })).info).toMatchObject({
      kind: 'not-writable',
      address: 0x08000000,
      detail: 'segment [0x08000000, 0x08010000) is not writable',
    });
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08080000, firmware(4)), info: l073, alternate: 2, options: { erase: 'mass', verify: true } })).info).toMatchObject({
      kind: 'not-erasable',
      region: 'DATA Memory',
    });
    // Option bytes never go through the image planner, whatever alt setting is asked for (issue 10: --alt).
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x1ff80000, firmware(4)), info: l073, alternate: 1, options: touched })).info).toMatchObject({
      kind: 'not-writable',
      region: 'Option Bytes',
      detail: expect.stringContaining('option-byte editor'),
    });
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(4)), info: l073, alternate: 7, options: touched })).info).toMatchObject({
      kind: 'invalid-argument',
      argument: 'alternate',
    });
  });

  it('refuses a byte above the measured flash size (L072xB: F_SIZE says 128 KiB)', () => {
    const measured: DeviceInfo = { ...l073, flashSizeBytes: 128 * 1024 };
    expect(dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x0801fff0, firmware(32)), info: measured, alternate: 0, options: touched })).info).toEqual({
      kind: 'not-writable',
      address: 0x08020000,
      region: 'Internal Flash',
      detail: 'at or above the 128 KiB flash size from the flash-size register (flash ends at 0x08020000; the bootloader describes 192 KiB)',
    });
  });

  it('warns when an image reaches above the real flash of parts whose bootloader overstates it (L072xB)', () => {
    const image = MemoryImage.fromBytes(0x0801ff00, firmware(0x200));
    const plan = planProgram({ image, info: l073, alternate: 0, options: touched });
    expect(plan.warnings.find((w) => w.kind === 'flash-overstated')).toMatchObject({ range: { start: 0x08020000, end: 0x08020100 } });
    const below = MemoryImage.fromBytes(0x0801ff00, firmware(0x100));
    expect(planProgram({ image: below, info: l073, alternate: 0, options: touched }).warnings.map((w) => w.kind)).not.toContain('flash-overstated');
  });

  it('the same for the H743 string that WeAct H750 boards send: a warning only above 0x08020000, naming the risk', () => {
    const above = planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(0x20000 + 32)), info: h743, alternate: 0, options: touched });
    const warning = above.warnings.find((w) => w.kind === 'flash-overstated');
    expect(warning?.range).toEqual({ start: 0x08020000, end: 0x08020020 });
    expect(warning?.message).toBe(
      'the image reaches 0x08020020, past 0x08020000: if this is an STM32H750 (128 KiB of flash), ST does not guarantee any flash there ' +
        '(WeAct H750 boards send this string) (its bootloader describes the same flash as the 2 MiB H743); set the flash size to refuse it',
    );
    const below = planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(0x20000)), info: h743, alternate: 0, options: touched });
    expect(below.warnings.map((w) => w.kind)).not.toContain('flash-overstated');
  });

  describe('a user flash-size limit (options.flashSizeBytes)', () => {
    const limited: ProgramOptions = { ...touched, flashSizeBytes: 128 * 1024 };

    it('refuses the first byte at or above the limit, naming its address and the limit', () => {
      const error = dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x0801fff0, firmware(32)), info: l073, alternate: 0, options: limited }));
      expect(error.info).toEqual({
        kind: 'not-writable',
        address: 0x08020000,
        region: 'Internal Flash',
        detail: 'at or above the 128 KiB flash-size limit (flash ends at 0x08020000; the bootloader describes 192 KiB)',
      });
      const above = dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08028000, firmware(16)), info: l073, alternate: 0, options: limited }));
      expect(above.info).toMatchObject({ kind: 'not-writable', address: 0x08028000 });
    });

    it('plans an image below the limit as usual, without the overstatement warning (the user answered it)', () => {
      const image = MemoryImage.fromBytes(0x08000000, firmware(128 * 1024));
      const plan = planProgram({ image, info: l073, alternate: 0, options: limited });
      expect(plan.sectors).toHaveLength(1024);
      expect(plan.sectors[1023]!.end).toBe(0x08020000);
      expect(plan.eraseMode).toBe('touched');
      expect(plan.warnings.map((w) => w.kind)).toEqual([]);
    });

    it('turns a mass erase into sector erases of the flash below the limit, with no data-loss warning per sector', () => {
      const image = MemoryImage.fromBytes(0x08000000, firmware(1000));
      const plan = planProgram({ image, info: l073, alternate: 0, options: { ...limited, erase: 'mass' } });
      expect(plan.eraseMode).toBe('touched');
      expect(plan.sectors).toHaveLength(1024);
      expect(plan.sectors[0]!.start).toBe(0x08000000);
      expect(plan.sectors[1023]!.end).toBe(0x08020000);
      expect(plan.warnings.map((w) => w.kind)).toEqual(['mass-erase', 'mass-erase']);
      expect(plan.warnings[0]!.message).toBe(
        'mass erase sent as 1024 sector erases up to 0x08020000: the 128 KiB flash-size limit (flash ends at 0x08020000; the bootloader describes 192 KiB) ' +
          'is below what a mass erase would cover',
      );
      expect(plan.warnings[1]!.message).toBe('mass erase clears all 128 KiB of Internal Flash, not only the 1000 B of the image');
    });

    it('never turns a full image into a mass erase under the limit (L0 would otherwise prefer it)', () => {
      const full = MemoryImage.fromBytes(0x08000000, firmware(128 * 1024));
      const register: DeviceInfo = { ...l073, flashSizeBytes: 128 * 1024 };
      expect(planProgram({ image: full, info: register, alternate: 0, options: touched }).eraseMode).toBe('touched');
    });

    it('changes nothing at or above the described size, and applies to internal flash only', () => {
      const image = MemoryImage.fromBytes(0x08000000, firmware(192 * 1024));
      const plan = planProgram({ image, info: l073, alternate: 0, options: { ...touched, flashSizeBytes: 192 * 1024 } });
      expect(plan.sectors).toHaveLength(1536);
      expect(plan.warnings.map((w) => w.kind)).not.toContain('flash-overstated');
      const eeprom = planProgram({ image: MemoryImage.fromBytes(0x08080000, firmware(16)), info: l073, alternate: 2, options: { ...touched, flashSizeBytes: 1024 } });
      expect(eeprom.chunks).toHaveLength(1);
    });

    it('the smaller of the user limit and the flash-size register wins', () => {
      const register: DeviceInfo = { ...l073, flashSizeBytes: 128 * 1024 };
      const image = MemoryImage.fromBytes(0x08010000, firmware(32));
      expect(dfuErrorOf(() => planProgram({ image, info: register, alternate: 0, options: { ...touched, flashSizeBytes: 64 * 1024 } })).info).toMatchObject({
        kind: 'not-writable',
        address: 0x08010000,
      });
      const above = MemoryImage.fromBytes(0x0801fff0, firmware(32));
      expect(dfuErrorOf(() => planProgram({ image: above, info: register, alternate: 0, options: { ...touched, flashSizeBytes: 160 * 1024 } })).info).toMatchObject({
        kind: 'not-writable',
        address: 0x08020000,
        detail: expect.stringContaining('flash-size register'),
      });
    });

    it('refuses a limit that ends inside a sector (F405: 100 KiB is inside the 64 KiB sector 4)', () => {
      const error = dfuErrorOf(() => planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(16)), info: f405, alternate: 0, options: { ...touched, flashSizeBytes: 100 * 1024 } }));
      expect(error.info).toMatchObject({ kind: 'invalid-argument', argument: 'flashSizeBytes' });
      expect(describeError(error.info)).toContain('inside sector 4 [0x08010000, 0x08020000)');
      expect(planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(16)), info: f405, alternate: 0, options: { ...touched, flashSizeBytes: 128 * 1024 } }).sectors).toHaveLength(1);
    });

    it('planImage applies it too (verify plans included)', () => {
      const image = MemoryImage.fromBytes(0x0801fff0, firmware(32));
      expect(dfuErrorOf(() => planImage(image, l073, { erase: 'none', verify: true, flashSizeBytes: 128 * 1024 })).info).toMatchObject({ kind: 'not-writable', address: 0x08020000 });
      expect(planImage(image, l073, { erase: 'none', verify: true })).toHaveLength(1);
    });
  });

  it('mass erase: every sector listed, a warning about what it clears, differential and preserve ignored', () => {
    const image = MemoryImage.fromBytes(0x08000000, firmware(1000));
    const plan = planProgram({ image, info: f405, alternate: 0, options: { erase: 'mass', verify: true, differential: true, preserve: true } });
    expect(formatPlan(plan)).toMatchInlineSnapshot(`
      "plan Internal Flash (alt 0): erase mass; transfer 2048 B, erased 0xFF
      erase: mass erase (12 sectors, 1 MiB)
      write 1000 B in 1 chunks: [0x08000000, 0x080003E8)
      verify 1000 B: [0x08000000, 0x080003E8)
      ! option-ignored: differential mode ignored: a mass erase clears every sector anyway
      ! option-ignored: preserve ignored: a mass erase clears the whole region
      ! mass-erase: mass erase clears all 1 MiB of Internal Flash, not only the 1000 B of the image
      estimated 16.4 s"
    `);
  });

  it('uses one mass erase when the image touches every sector, the family erases faster that way and its mass erase is known to work', () => {
    // L0: faster on paper, but no public tool is known to use the L0 mass erase: page erases stay.
    const l0 = planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(192 * 1024)), info: l073, alternate: 0, options: touched });
    expect([l0.eraseMode, l0.sectors.length]).toEqual(['touched', 1536]);
    // H7: known (Betaflight's full chip erase) and faster, once the real flash size rules out an H750.
    const h7 = planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(2048 * 1024)), info: h743, alternate: 0, options: { ...touched, flashSizeBytes: 2048 * 1024 } });
    expect(h7.eraseMode).toBe('mass');
    expect(h7.sectors).toHaveLength(16);
    expect(h7.warnings.find((w) => w.kind === 'mass-erase')?.message).toBe(
      'the image touches all 16 sectors: one mass erase (about 6.15 s) instead of 16 sector erases (about 23.7 s)',
    );
    // Without the size the descriptor could be an H750's: no mass erase by choice of the planner.
    expect(planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(2048 * 1024)), info: h743, alternate: 0, options: touched }).eraseMode).toBe('touched');
    expect(planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(2048 * 1024)), info: h743, alternate: 0, options: { ...touched, flashSizeBytes: 2048 * 1024, massEraseWhenFaster: false } }).eraseMode).toBe('touched');
    const f4 = planProgram({ image: MemoryImage.fromBytes(0x08000000, firmware(1024 * 1024)), info: f405, alternate: 0, options: touched });
    expect([f4.eraseMode, f4.sectors.length]).toEqual(['touched', 12]);
  });

  it('differential: without device content it asks for a read; with it, only the changed sector is erased and written, and the whole image verified', () => {
    const data = firmware(64 * 1024);
    const image = MemoryImage.fromBytes(0x08000000, data);
    const first = planProgram({ image, info: f405, alternate: 0, options: { ...touched, differential: true } });
    expect(first.readRanges).toEqual([{ start: 0x08000000, end: 0x08010000 }]);
    expect(first.sectors).toHaveLength(4);

    const device = data.slice();
    device[0x4100] = 0; // sector 1 differs (firmware() never yields 0)
    const deviceContent = MemoryImage.fromBytes(0x08000000, device);
    const plan = planProgram({ image, info: f405, alternate: 0, options: { ...touched, differential: true }, deviceContent });
    expect(plan.readRanges).toEqual([]);
    expect(plan.sectors.map((s) => s.index)).toEqual([1]);
    expect(plan.unchangedSectors).toEqual([0, 2, 3]);
    expect(plan.chunks.map((c) => c.address)).toEqual(Array.from({ length: 8 }, (_, i) => 0x08004000 + i * 2048));
    // "Verified" covers the whole image, not only the sector that changed.
    expect(plan.verifyRanges).toEqual([{ start: 0x08000000, end: 0x08010000 }]);
    expect(formatPlan(plan)).toMatchInlineSnapshot(`
      "plan Internal Flash (alt 0): erase touched, differential; transfer 2048 B, erased 0xFF
      erase 1 sectors (16 KiB) unless they read blank: #1 [0x08004000, 0x08008000)
      unchanged 3 sectors: #0 #2-#3
      write 16384 B in 8 chunks: [0x08004000, 0x08008000)
      verify 64 KiB: [0x08000000, 0x08010000)
      estimated 519 ms"
    `);

    const same = planProgram({ image, info: f405, alternate: 0, options: { ...touched, differential: true }, deviceContent: image });
    // Nothing to erase or write; the image is still read back once to say it is verified.
    expect([same.sectors.length, same.chunks.length, same.verifyRanges.length]).toEqual([0, 0, 1]);
  });

  it('preserve: reads the rest of partly covered sectors first, then writes it back', () => {
    const image = MemoryImage.fromBytes(0x08000140, firmware(0x100));
    const first = planProgram({ image, info: l073, alternate: 0, options: { ...touched, preserve: true } });
    expect(first.preserveRanges).toEqual([
      { start: 0x08000100, end: 0x08000140 },
      { start: 0x08000240, end: 0x08000280 },
    ]);
    expect(first.readRanges).toEqual(first.preserveRanges);
    expect(first.sectors.map((s) => s.index)).toEqual([2, 3, 4]);

    const device = MemoryImage.fromBytes(0x08000000, firmware(0x400, 7));
    const plan = planProgram({ image, info: l073, alternate: 0, options: { ...touched, preserve: true }, deviceContent: device });
    expect(plan.readRanges).toEqual([]);
    expect(plan.chunks).toHaveLength(1);
    expect(plan.chunks[0]!.address).toBe(0x08000100);
    expect(plan.chunks[0]!.data).toEqual(
      Uint8Array.from([...device.read({ start: 0x08000100, end: 0x08000140 }, 0), ...firmware(0x100), ...device.read({ start: 0x08000240, end: 0x08000280 }, 0)]),
    );
    expect(plan.verifyRanges).toEqual([{ start: 0x08000100, end: 0x08000280 }]);
    expect(plan.warnings.map((w) => w.kind)).toEqual(['preserving']);
  });

  it('warns about destroyed data only when the device content outside the image is not erased', () => {
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x40));
    const erasedDevice = MemoryImage.fromBytes(0x08000000, new Uint8Array(0x80));
    expect(planProgram({ image, info: l073, alternate: 0, options: touched, deviceContent: erasedDevice }).warnings).toEqual([]);
    const liveDevice = MemoryImage.fromBytes(0x08000000, firmware(0x80));
    expect(planProgram({ image, info: l073, alternate: 0, options: touched, deviceContent: liveDevice }).warnings.map((w) => w.message)).toEqual([
      'sector 0 [0x08000000, 0x08000080) holds 64 B of data outside the image that the erase destroys (use preserve to keep them)',
    ]);
  });

  it('keeps every invariant for random sparse images (fast-check)', () => {
    const infos = [l073, f405, h743];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.record({ offset: fc.integer({ min: 0, max: 0x2ffff }), length: fc.integer({ min: 1, max: 5000 }), fill: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (which, blocks) => {
          const info = infos[which]!;
          const region = info.alternates[0]!.layout!.region;
          const facts = familyFacts(info.family);
          let keptEnd = 0;
          const image = MemoryImage.fromBlocks(
            blocks
              .sort((a, b) => a.offset - b.offset)
              .filter((b) => {
                if (b.offset < keptEnd) return false;
                keptEnd = b.offset + b.length;
                return true;
              })
              .map((b) => ({ start: 0x08000000 + b.offset, data: new Uint8Array(Math.min(b.length, 0x30000 - b.offset)).fill(b.fill) })),
          );
          const plan = planProgram({ image, info, alternate: 0, options: touched });
          const size = info.functional.transferSize;
          const erased = new Set(plan.sectors.map((s) => s.index));
          let previousEnd = 0;
          for (const chunk of plan.chunks) {
            expect(chunk.data.length).toBeLessThanOrEqual(size);
            expect(chunk.address % facts.programUnitBytes).toBe(0);
            expect(chunk.data.length % facts.programUnitBytes).toBe(0);
            expect(Math.floor(chunk.address / size)).toBe(Math.floor((chunk.address + chunk.data.length - 1) / size));
            expect(chunk.address).toBeGreaterThanOrEqual(previousEnd);
            previousEnd = chunk.address + chunk.data.length;
            // Never write into a sector this plan does not erase.
            expect(erased.has(sectorAt(region, chunk.address)!.index)).toBe(true);
            expect(erased.has(sectorAt(region, previousEnd - 1)!.index)).toBe(true);
          }
          // Every image byte is either written or erased-value in an erased sector.
          const written = MemoryImage.fromBlocks(plan.chunks.map((c) => ({ start: c.address, data: c.data })));
          for (const block of image.blocks) {
            for (let i = 0; i < block.data.length; i += 97) {
              const address = block.start + i;
              const byte = written.byteAt(address);
              if (byte === undefined) expect(block.data[i]).toBe(facts.erasedValue);
              else expect(byte).toBe(block.data[i]);
            }
          }
          // Exactly the touched sectors are erased.
          const touchedIndexes = new Set(image.ranges.flatMap((r) => [sectorAt(region, r.start)!.index, sectorAt(region, r.end - 1)!.index]));
          for (const index of touchedIndexes) expect(erased.has(index)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('planning images of many blocks', () => {
  // More blocks than a function call may take arguments (about 125,000 on V8's default stack):
  // push(...blocks) or Math.min(...addresses) over them would overflow the stack.
  const blocks = Array.from({ length: 200_000 }, (_, i) => ({ start: 0x08000000 + 16 * i, data: Uint8Array.of(1 + (i % 200)) }));
  const image = MemoryImage.fromBlocks(blocks);

  it('plans 200,000 blocks in one erasable segment (padded to program units) without overflowing the stack', () => {
    const big = deviceInfo({ alternateNames: ['@Internal Flash  /0x08000000/32*128Kg'] });
    const started = performance.now();
    const [plan] = planImage(image, big, touched);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(plan!.chunks.reduce((sum, chunk) => sum + chunk.data.length, 0)).toBeGreaterThanOrEqual(image.size);
    expect(plan!.sectors.map((sector) => sector.index)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('plans 200,000 blocks in a writable, not erasable segment the same way', () => {
    const eeprom = deviceInfo({ alternateNames: ['@Data Memory /0x08000000/01*4096Ke'] });
    const plans = planImage(image, eeprom, { ...touched, preserve: true });
    expect(plans[0]!.chunks.length).toBeGreaterThan(0);
  });
});

describe('planImage', () => {
  it('splits an image into one plan per region (flash and data EEPROM)', () => {
    const image = MemoryImage.fromBlocks([
      { start: 0x08000000, data: firmware(256) },
      { start: 0x08080000, data: firmware(16) },
    ]);
    const plans = planImage(image, l073, touched);
    expect(plans.map((p) => [p.alternate, p.region, p.eraseMode, p.bytesToWrite])).toEqual([
      [0, 'Internal Flash', 'touched', 256],
      [2, 'DATA Memory', 'none', 16],
    ]);
  });

  it('names a byte that falls in no region, refuses option bytes, and reports an overflowing image as too large', () => {
    const stray = MemoryImage.fromBlocks([
      { start: 0x08000000, data: firmware(16) },
      { start: 0x20000000, data: firmware(16) },
    ]);
    expect(dfuErrorOf(() => planImage(stray, l073, touched)).info).toEqual({
      kind: 'not-writable',
      address: 0x20000000,
      detail: 'the address is in no memory region of this device',
    });
    expect(dfuErrorOf(() => planImage(MemoryImage.fromBytes(0x1ff80000, firmware(4)), l073, touched)).info).toMatchObject({
      kind: 'not-writable',
      region: 'Option Bytes',
    });
    expect(dfuErrorOf(() => planImage(MemoryImage.fromBytes(0x08020000, firmware(0x10010)), l073, touched)).info).toEqual({
      kind: 'image-too-large',
      imageEnd: 0x08030010,
      regionEnd: 0x08030000,
      region: 'Internal Flash',
    });
  });
});
