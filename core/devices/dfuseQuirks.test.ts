import { parseMemoryLayout } from '../dfuse/memoryLayout.js';
import { buildDescriptors, encodeStringDescriptor, type DescriptorInput } from '../simulator/descriptorBuilder.js';
import { decodeStringDescriptor, describeDevice } from '../usb/descriptors.js';
import type { DfuTransport, OpenedDevice, RawDeviceDescriptors } from '../usb/transport.js';
import { correctLayout, descriptorQuirks, descriptorQuirksFor, serialNumberOf } from './dfuseQuirks.js';

const GD32 = { vendorId: 0x28e9, productId: 0x0189, bcdDevice: 0x1000 };
const gd32Quirks = descriptorQuirksFor(GD32);
// Public dfu-util -l listings of Longan Nano boards (GD32VF103CBT6), see dfuseQuirks.ts.
const GD32_FLASH = '@Internal Flash  /0x08000000/512*002Kg';
const GD32_OPTION_BYTES = '@Option Bytes  /0x1FFFF800/01*016 g';

const gd32Input: DescriptorInput = {
  ...GD32,
  manufacturer: 'GigaDevice',
  product: 'GD32 DFU Bootloader',
  serial: '3CBJ',
  serialEncoding: 'utf-8',
  alternateNames: [GD32_FLASH, GD32_OPTION_BYTES],
  attributes: 0x0b,
  detachTimeoutMs: 255,
  transferSize: 2048,
};

function opened(descriptors: RawDeviceDescriptors, identity = GD32): OpenedDevice {
  return {
    summary: { id: 'usb:1', ...identity, path: '1-2', isSimulated: false },
    descriptors,
    interfaceNumber: 0,
    transport: {} as DfuTransport,
  };
}

describe('descriptor quirks table', () => {
  it('every entry says what is wrong and where it was seen', () => {
    for (const quirk of descriptorQuirks) {
      expect(quirk.why.length).toBeGreaterThan(20);
      expect(quirk.source).toMatch(/dfu-util|fwupd|Betaflight/);
    }
  });

  it('matches GigaDevice 28e9:0189 and Artery 2e3c:df11 only', () => {
    expect(gd32Quirks.map((q) => q.id).sort()).toEqual(['gd32-utf8-serial', 'gd32vf103-page-layout']);
    expect(descriptorQuirksFor({ vendorId: 0x2e3c, productId: 0xdf11, bcdDevice: 0x0200 }).map((q) => q.id)).toEqual([
      'at32-option-byte-name',
      'at32-option-byte-name',
    ]);
    expect(descriptorQuirksFor({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200 }).map((q) => q.id)).toEqual(['st-force-dfuse-version']);
    expect(descriptorQuirksFor({ vendorId: 0x28e9, productId: 0x0188, bcdDevice: 0x1000 })).toEqual([]);
  });
});

describe('serialNumberOf', () => {
  // fwupd's capture plugins/dfu/tests/dfu-gd32vf103-setup.json: "BgMzQ0JK" = 06 03 33 43 42 4A.
  const captured = Uint8Array.of(0x06, 0x03, 0x33, 0x43, 0x42, 0x4a);

  it('reads the GD32 serial from the raw bytes as 8-bit text', () => {
    expect(serialNumberOf(gd32Quirks, captured, decodeStringDescriptor(captured))).toBe('3CBJ');
  });

  it('recovers it from a UTF-16LE reading alone (an adapter without raw bytes)', () => {
    const misread = decodeStringDescriptor(captured);
    expect(misread).not.toBe('3CBJ');
    expect(serialNumberOf(gd32Quirks, undefined, misread)).toBe('3CBJ');
  });

  it('honours bLength and cuts NUL padding', () => {
    const padded = Uint8Array.of(0x06, 0x03, 0x33, 0x43, 0x42, 0x4a, 0x00, 0x00);
    expect(serialNumberOf(gd32Quirks, padded, undefined)).toBe('3CBJ');
    const nul = Uint8Array.of(0x08, 0x03, 0x33, 0x43, 0x00, 0x00, 0x41);
    expect(serialNumberOf(gd32Quirks, nul, undefined)).toBe('3C');
  });

  it('leaves every other device to the UTF-16LE reading', () => {
    const raw = encodeStringDescriptor('206C38A05741');
    expect(serialNumberOf([], raw, 'decoded')).toBe('decoded');
  });
});

describe('correctLayout', () => {
  const flash = parseMemoryLayout(GD32_FLASH);

  it.each([
    ['3CBJ', 128],
    ['3C8J', 64],
    ['3C6J', 32],
    ['3C4J', 16],
    ['3C2J', 8],
  ])('GD32VF103 serial %s: %i pages of 1 KiB from 0x08000000', (serial, pages) => {
    const fixed = correctLayout(gd32Quirks, { alternate: 0, descriptor: GD32_FLASH, serialNumber: serial }, flash);
    expect(fixed.region.segments).toHaveLength(1);
    expect(fixed.region.segments[0]).toMatchObject({ start: 0x08000000, sectorSize: 1024, sectorCount: pages, end: 0x08000000 + pages * 1024 });
    const correction = fixed.warnings.at(-1)!;
    expect(correction).toMatchObject({ quirk: 'gd32vf103-page-layout' });
    expect(correction.message).toContain('512 x 2 KiB');
    expect(correction.message).toContain(`${pages} x 1 KiB`);
  });

  it('an unknown size letter assumes the largest part and says so', () => {
    const fixed = correctLayout(gd32Quirks, { alternate: 0, descriptor: GD32_FLASH, serialNumber: '3CZJ' }, flash);
    expect(fixed.region.segments[0]).toMatchObject({ sectorSize: 1024, sectorCount: 128 });
    expect(fixed.warnings.at(-1)!.message).toMatch(/unknown size letter 'Z'/);
  });

  it('changes nothing when the serial is not a GD32VF103 part number, or on another alt', () => {
    for (const serialNumber of [undefined, '3CB', '3CBJX', '2CBJ', '3CBK']) {
      expect(correctLayout(gd32Quirks, { alternate: 0, descriptor: GD32_FLASH, ...(serialNumber ? { serialNumber } : {}) }, flash)).toBe(flash);
    }
    const ob = parseMemoryLayout(GD32_OPTION_BYTES);
    expect(correctLayout(gd32Quirks, { alternate: 1, descriptor: GD32_OPTION_BYTES, serialNumber: '3CBJ' }, ob)).toBe(ob);
  });

  it('renames the AT32F43x "Option byte" region (both strings Betaflight rewrites), nothing else', () => {
    const at32 = descriptorQuirksFor({ vendorId: 0x2e3c, productId: 0xdf11, bcdDevice: 0x0200 });
    for (const descriptor of ['@Option byte   /0x1FFFC000/01*4096 g', '@Option byte   /0x1FFFC000/01*512 g']) {
      const fixed = correctLayout(at32, { alternate: 1, descriptor }, parseMemoryLayout(descriptor));
      expect(fixed.region.name).toBe('Option bytes');
      expect(fixed.warnings.at(-1)).toMatchObject({ quirk: 'at32-option-byte-name' });
    }
    const other = '@Option byte X /0x1FFFC000/01*512 g';
    const parsed = parseMemoryLayout(other);
    expect(correctLayout(at32, { alternate: 1, descriptor: other }, parsed)).toBe(parsed);
  });
});

describe('describeDevice with a GD32VF103 descriptor set', () => {
  it('decodes the UTF-8 serial, corrects the flash layout and lists the quirks', () => {
    const raw = buildDescriptors(gd32Input);
    // What a UTF-16LE reader makes of the serial: not the text.
    expect(raw.strings.get(3)).not.toBe('3CBJ');
    const info = describeDevice(opened(raw));
    expect(info.serialNumber).toBe('3CBJ');
    const flash = info.alternates[0]!;
    expect(flash.role).toBe('flash');
    expect(flash.layout!.region.segments[0]).toMatchObject({ start: 0x08000000, sectorSize: 1024, sectorCount: 128, end: 0x08020000 });
    expect(flash.layout!.warnings.map((w) => w.message).join('\n')).toMatch(/GD32VF103 at 0x08000000: the bootloader describes 512 x 2 KiB/);
    expect(info.alternates[1]!.role).toBe('option-bytes');
    expect(info.quirks).toEqual(expect.arrayContaining(['gd32-utf8-serial', 'gd32vf103-page-layout']));
  });

  it('works from the UTF-16LE strings alone (no raw bytes from the adapter)', () => {
    const { rawStrings: _raw, ...withoutRaw } = buildDescriptors(gd32Input);
    const info = describeDevice(opened(withoutRaw));
    expect(info.serialNumber).toBe('3CBJ');
    expect(info.alternates[0]!.layout!.region.segments[0]).toMatchObject({ sectorSize: 1024, sectorCount: 128 });
  });

  it('leaves an ST device with the same strings alone', () => {
    const st = { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200 };
    const info = describeDevice(opened(buildDescriptors({ ...gd32Input, ...st, serialEncoding: 'utf-16le' }), st));
    expect(info.serialNumber).toBe('3CBJ');
    expect(info.alternates[0]!.layout!.region.segments[0]).toMatchObject({ sectorSize: 2048, sectorCount: 512 });
    expect(info.quirks).not.toContain('gd32vf103-page-layout');
  });
});
