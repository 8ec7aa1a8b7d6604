import { buildDescriptors, type DescriptorInput } from '../simulator/descriptorBuilder.js';
import { capturedDescriptors as captured } from '../testing/fixtures/descriptors.js';
import type { DfuTransport, OpenedDevice, RawDeviceDescriptors } from './transport.js';
import {
  decodeStringDescriptor,
  describeDevice,
  findFunctionalDescriptor,
  parseConfiguration,
  parseFunctionalDescriptor,
} from './descriptors.js';

const l073: DescriptorInput = {
  vendorId: 0x0483,
  productId: 0xdf11,
  bcdDevice: 0x2200,
  manufacturer: 'STMicroelectronics',
  product: 'STM32  BOOTLOADER',
  serial: '206C38A05741',
  alternateNames: [captured.l07xFlash.descriptor, captured.l07xOptionBytes.descriptor, captured.l07xDataMemory.descriptor],
  attributes: 0x0b,
  detachTimeoutMs: 255,
  transferSize: 2048,
};

const h743: DescriptorInput = {
  ...l073,
  bcdDevice: 0x0200,
  product: 'DFU in FS Mode',
  alternateNames: [captured.h743Flash.descriptor, captured.h743OptionBytes.descriptor],
  transferSize: 1024,
};

const nullTransport = {} as DfuTransport;

function opened(descriptors: RawDeviceDescriptors, simulated = true): OpenedDevice {
  return {
    summary: { id: 'sim:1', vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: '1-2', isSimulated: simulated },
    descriptors,
    interfaceNumber: 0,
    transport: nullTransport,
  };
}

describe('describeDevice', () => {
  it('reads an STM32L073 bootloader: strings, functional descriptor, three regions, family L0', () => {
    const info = describeDevice(opened(buildDescriptors(l073)));
    expect(info).toMatchObject({
      id: 'sim:1',
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
      manufacturer: 'STMicroelectronics',
      product: 'STM32  BOOTLOADER',
      serialNumber: '206C38A05741',
      path: '1-2',
      isSimulated: true,
      family: 'L0',
    });
    expect(info.functional).toEqual({
      attributes: 0x0b,
      canDownload: true,
      canUpload: true,
      manifestationTolerant: false,
      willDetach: true,
      detachTimeoutMs: 255,
      transferSize: 2048,
      dfuVersion: 0x011a,
      source: 'interface',
    });
    expect(info.alternates.map((a) => [a.alternate, a.name])).toEqual([
      [0, 'Internal Flash'],
      [1, 'Option Bytes'],
      [2, 'DATA Memory'],
    ]);
    const flash = info.alternates[0]!.layout!;
    expect(flash.region.segments).toEqual([
      { start: 0x08000000, end: 0x08030000, sectorSize: 128, sectorCount: 1536, readable: true, erasable: true, writable: true },
    ]);
    // The corrections the parser made are kept for the UI.
    expect(flash.warnings.map((w) => w.message).join('\n')).toMatch(/multiplier/);
    expect(info.quirks).toContain('error-state-at-connect');
    expect(info.quirks).toContain('descriptor-overstates-flash');
    // The L073 and the 128 KiB L072xB send the same string: one note, no warning on every connect.
    expect(info.warnings).toEqual([]);
    expect(info.notes).toEqual([
      'If this is an STM32L072xB/L082xB (128 KiB of flash), its bootloader describes 192 KiB like the 192 KiB L072xZ/L073xZ/L082xZ/L083xZ; ' +
        'from 0x08020000 on, the part has no flash there and erasing it hangs the bootloader. ' +
        'The descriptor cannot tell the parts apart: a plan warns only when an image reaches 0x08020000 or above.',
    ]);
  });

  it('takes the transfer size from the descriptor: 1024 on the H743, never a hard-coded 2048', () => {
    const info = describeDevice(opened(buildDescriptors(h743)));
    expect(info.functional.transferSize).toBe(1024);
    expect(info.family).toBe('H7');
    expect(info.warnings).toEqual([]);
    expect(info.notes).toHaveLength(1);
    expect(info.notes![0]).toMatch(/^If this is an STM32H750 \(128 KiB of flash\), its bootloader describes 2 MiB like the 2 MiB H743; from 0x08020000 on, ST does not guarantee/);
    expect(info.quirks).toEqual(expect.arrayContaining(['stuck-busy-after-erase', 'no-status-after-leave']));
  });

  it('keeps an alt setting whose string is not a layout, with the error', () => {
    const raw = buildDescriptors({ ...l073, alternateNames: ['@Internal Flash  /0x08000000/1536*128g', '@Broken/zz'] });
    const info = describeDevice(opened(raw));
    expect(info.alternates[1]).toMatchObject({ alternate: 1, name: 'Broken', descriptor: '@Broken/zz' });
    expect(info.alternates[1]!.error).toMatchObject({ kind: 'layout-format' });
    expect(info.alternates[1]!.layout).toBeUndefined();
  });

  it('names a missing alt-setting string instead of failing', () => {
    const raw = buildDescriptors(l073);
    const strings = new Map(raw.strings);
    strings.delete(5);
    const info = describeDevice(opened({ ...raw, strings }));
    expect(info.alternates[1]).toMatchObject({ name: 'alt 1', error: { kind: 'layout-format', reason: 'no string for iInterface 5' } });
  });

  it('cuts NUL padding off strings sent with a wrong length', () => {
    const raw = buildDescriptors(l073);
    const strings = new Map(raw.strings);
    strings.set(2, 'STM32  BOOTLOADER\0\0\0');
    expect(describeDevice(opened({ ...raw, strings })).product).toBe('STM32  BOOTLOADER');
  });

  it('treats an interface as DfuSe only when bcdDFUVersion is 0x011A: a plain DFU 1.1 device gets a clear error on every alt', () => {
    const plain: DescriptorInput = { ...l073, vendorId: 0x1209, productId: 0x0001, dfuVersion: 0x0110 };
    const info = describeDevice(opened(buildDescriptors(plain)));
    expect(info.alternates).toHaveLength(3);
    for (const alt of info.alternates) {
      expect(alt.layout).toBeUndefined();
      expect(alt.error).toMatchObject({ kind: 'layout-format' });
      expect(alt.error && 'reason' in alt.error ? alt.error.reason : '').toMatch(/not a DfuSe interface: .*bcdDFUVersion 0x0110 \(DFU 1\.1\).*0x011A/);
    }
    expect(info.alternates[0]!.name).toBe('Internal Flash');
    expect(info.warnings.join('\n')).toMatch(/not a DfuSe interface/);

    const dfu10 = describeDevice(opened(buildDescriptors({ ...plain, dfuVersion: 0x0100 })));
    expect(dfu10.alternates[0]!.error).toMatchObject({ reason: expect.stringMatching(/0x0100 \(DFU 1\.0\)/) });
  });

  it("reads ST's 0483:df11 as DfuSe even with another bcdDFUVersion (fwupd's DfuForceVersion), and says so", () => {
    const forced = describeDevice(opened(buildDescriptors({ ...l073, dfuVersion: 0x0110 })));
    expect(forced.alternates[0]!.layout).toBeDefined();
    expect(forced.alternates[0]!.error).toBeUndefined();
    expect(forced.quirks).toContain('st-force-dfuse-version');
    expect(forced.warnings.join('\n')).toMatch(/bcdDFUVersion 0x0110 read as DfuSe: .*fwupd/);

    const normal = describeDevice(opened(buildDescriptors(l073)));
    expect(normal.quirks).not.toContain('st-force-dfuse-version');
    expect(normal.warnings).toEqual([]);
  });

  it('assumes DfuSe when there is no functional descriptor to ask (the fallback already warns)', () => {
    const raw = buildDescriptors({ ...l073, vendorId: 0x1209 });
    const stripped = raw.configuration.slice(0, raw.configuration.length - 9);
    stripped[2] = stripped.length;
    const info = describeDevice(opened({ ...raw, configuration: stripped }));
    expect(info.alternates[0]!.layout).toBeDefined();
  });

  it('finds the functional descriptor in the configuration extra, or standalone, or falls back with a warning', () => {
    const raw = buildDescriptors(l073);
    const config = raw.configuration;
    const functional = config.subarray(config.length - 9);
    // Move it between the configuration header and the first interface.
    const moved = new Uint8Array(config.length);
    moved.set(config.subarray(0, 9));
    moved.set(functional, 9);
    moved.set(config.subarray(9, config.length - 9), 18);
    expect(describeDevice(opened({ ...raw, configuration: moved })).functional.source).toBe('configuration');

    const stripped = config.slice(0, config.length - 9);
    stripped[2] = stripped.length;
    const standalone = describeDevice(opened({ ...raw, configuration: stripped, functional: Uint8Array.of(9, 0x21, 0x0b, 0xff, 0, 0x00, 0x04, 0x1a, 0x01) }));
    expect(standalone.functional).toMatchObject({ source: 'standalone', transferSize: 1024 });

    const missing = describeDevice(opened({ ...raw, configuration: stripped }));
    expect(missing.functional).toMatchObject({ source: 'default', transferSize: 2048 });
    expect(missing.warnings.join('\n')).toMatch(/no DFU functional descriptor/);
  });
});

describe('descriptor parsers', () => {
  it('walks a configuration and gives each interface its extra bytes', () => {
    const config = parseConfiguration(buildDescriptors(l073).configuration);
    expect(config.interfaces.map((i) => [i.interfaceNumber, i.alternateSetting, i.interfaceClass, i.interfaceSubclass, i.nameIndex])).toEqual([
      [0, 0, 0xfe, 1, 4],
      [0, 1, 0xfe, 1, 5],
      [0, 2, 0xfe, 1, 6],
    ]);
    expect(config.interfaces[2]!.extra).toHaveLength(9);
    expect(config.interfaces[0]!.extra).toHaveLength(0);
    expect(config.warnings).toEqual([]);
  });

  it('survives a truncated configuration with a warning', () => {
    const bytes = buildDescriptors(l073).configuration.slice();
    bytes[18] = 0; // zero-length descriptor where the second interface starts
    const config = parseConfiguration(bytes);
    expect(config.interfaces).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/malformed descriptor at offset 18/);
  });

  it('reads a 7-byte DFU 1.0 functional descriptor as version 1.0', () => {
    const functional = parseFunctionalDescriptor(Uint8Array.of(7, 0x21, 0x03, 0x10, 0x00, 0x00, 0x08), 'interface');
    expect(functional).toMatchObject({ dfuVersion: 0x0100, transferSize: 2048, detachTimeoutMs: 16, willDetach: false, canUpload: true });
    expect(findFunctionalDescriptor(Uint8Array.of(5, 0x24, 0, 0, 0, 7, 0x21, 3, 0, 0, 0, 8))).toHaveLength(7);
    expect(() => parseFunctionalDescriptor(Uint8Array.of(9, 0x04), 'interface')).toThrowError(/functional descriptor/);
  });

  it('decodes string descriptors leniently (wrong bLength, odd byte, NUL padding)', () => {
    const text = 'STM32  BOOTLOADER';
    const bytes = new Uint8Array(2 + text.length * 2);
    bytes[1] = 3;
    for (let i = 0; i < text.length; i++) bytes[2 + 2 * i] = text.charCodeAt(i);
    bytes[0] = bytes.length;
    expect(decodeStringDescriptor(bytes)).toBe(text);
    bytes[0] = 200; // overstated (STM32F427)
    expect(decodeStringDescriptor(bytes)).toBe(text);
    bytes[0] = 7; // truncated and odd
    expect(decodeStringDescriptor(bytes)).toBe('ST');
    expect(decodeStringDescriptor(Uint8Array.of(8, 3, 0x41, 0, 0, 0, 0x42, 0))).toBe('A');
    expect(decodeStringDescriptor(Uint8Array.of(1))).toBe('');
  });
});
