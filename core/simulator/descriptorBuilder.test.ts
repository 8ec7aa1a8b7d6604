import { readU16LE } from '../bytes.js';
import { buildDescriptors, encodeStringDescriptor, stringDescriptorBytes } from './descriptorBuilder.js';
import { profiles } from './profiles.js';

// A tiny parser written from USB 2.0 §9.6 and DFU 1.1 §4.2, independent of the product's
// core/usb/descriptors.ts, to check the bytes are what a real device sends.
function walk(configuration: Uint8Array): { type: number; bytes: Uint8Array }[] {
  const out: { type: number; bytes: Uint8Array }[] = [];
  for (let offset = 0; offset < configuration.length; ) {
    const length = configuration[offset]!;
    if (length < 2) throw new Error(`descriptor of length ${length} at ${offset}`);
    out.push({ type: configuration[offset + 1]!, bytes: configuration.subarray(offset, offset + length) });
    offset += length;
  }
  return out;
}

function decodeString(bytes: Uint8Array): string {
  let text = '';
  for (let i = 2; i + 1 < bytes[0]!; i += 2) text += String.fromCharCode(readU16LE(bytes, i));
  return text;
}

describe('descriptorBuilder', () => {
  for (const profile of Object.values(profiles)) {
    it(`${profile.id}: device, configuration, DFU functional and string descriptors parse back`, () => {
      const raw = buildDescriptors({ ...profile, alternateNames: profile.alternates.map((a) => a.descriptor) });
      const device = raw.device;
      expect(device.length).toBe(18);
      expect([device[0], device[1]]).toEqual([18, 1]);
      expect(readU16LE(device, 2)).toBe(0x0200);
      expect(device[7]).toBe(64);
      expect(readU16LE(device, 8)).toBe(profile.vendorId);
      expect(readU16LE(device, 10)).toBe(profile.productId);
      expect(readU16LE(device, 12)).toBe(profile.bcdDevice);
      expect(raw.strings.get(device[14]!)).toBe(profile.manufacturer);
      expect(raw.strings.get(device[15]!)).toBe(profile.product);
      const serial = raw.rawStrings!.get(device[16]!)!;
      if (profile.serialEncoding === 'utf-8') {
        // The GD32VF103 ROM: bLength, type 3, then the 8-bit characters (fwupd's capture: 06 03 "3CBJ").
        expect(Array.from(serial)).toEqual([2 + profile.serial.length, 3, ...Array.from(new TextEncoder().encode(profile.serial))]);
        expect(raw.strings.get(device[16]!)).not.toBe(profile.serial);
      } else {
        expect(decodeString(serial)).toBe(profile.serial);
        expect(raw.strings.get(device[16]!)).toBe(profile.serial);
      }
      expect(device[17]).toBe(1);

      const config = raw.configuration;
      expect(readU16LE(config, 2)).toBe(config.length);
      const descriptors = walk(config);
      expect(descriptors[0]!.type).toBe(2);
      expect(descriptors[0]!.bytes[4]).toBe(1); // one interface
      const interfaces = descriptors.filter((d) => d.type === 4);
      expect(interfaces).toHaveLength(profile.alternates.length);
      interfaces.forEach(({ bytes }, alternate) => {
        expect([bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]).toEqual([0, alternate, 0, 0xfe, 1, 2]);
        expect(raw.strings.get(bytes[8]!)).toBe(profile.alternates[alternate]!.descriptor);
      });
      // The functional descriptor comes after the last alt setting, as on real ST bootloaders.
      expect(descriptors.map((d) => d.type)).toEqual([2, ...profile.alternates.map(() => 4), 0x21]);
      const functional = descriptors[descriptors.length - 1]!.bytes;
      expect(functional.length).toBe(9);
      expect(functional[2]).toBe(0x0b);
      expect(readU16LE(functional, 3)).toBe(255);
      expect(readU16LE(functional, 5)).toBe(profile.transferSize);
      expect([1024, 2048]).toContain(profile.transferSize);
      expect(readU16LE(functional, 7)).toBe(0x011a);
    });
  }

  it('string descriptors: UTF-16LE with the length byte, LANGID 0x0409 at index 0, none for unknown indexes', () => {
    const strings = new Map([[4, '@Internal Flash  /0x08000000/1536*128g']]);
    const bytes = stringDescriptorBytes(strings, 4)!;
    expect(bytes[0]).toBe(bytes.length);
    expect(bytes[1]).toBe(3);
    expect(decodeString(bytes)).toBe('@Internal Flash  /0x08000000/1536*128g');
    expect(Array.from(stringDescriptorBytes(strings, 0)!)).toEqual([4, 3, 0x09, 0x04]);
    expect(stringDescriptorBytes(strings, 9)).toBeUndefined();
    expect(() => encodeStringDescriptor('x'.repeat(127))).toThrow(RangeError);
    // A ROM that sends 8-bit text (GD32VF103 serial): the raw bytes win over the UTF-16LE encoding.
    const raw = new Map([[3, encodeStringDescriptor('3CBJ', 'utf-8')]]);
    expect(Array.from(stringDescriptorBytes(new Map([[3, 'ignored']]), 3, raw)!)).toEqual([6, 3, 0x33, 0x43, 0x42, 0x4a]);
    expect(decodeString(stringDescriptorBytes(new Map([[3, 'ignored']]), 3)!)).toBe('ignored');
  });
});
