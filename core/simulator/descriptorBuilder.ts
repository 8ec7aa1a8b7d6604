// The USB descriptors of a simulated ST bootloader, as the bytes a real one returns for
// GET_DESCRIPTOR. The virtual-USB harness serves exactly these bytes to libusb and dfu-util, so
// every field follows USB 2.0 §9.6 and DFU 1.1 §4.2, with the values ST ROM bootloaders report
// (reference §1.4: lsusb -v of the F107 and the F4 Discovery).
import { writeU16LE } from '../bytes.js';
import { DFU_FUNCTIONAL_DESCRIPTOR_TYPE, DFUSE_VERSION } from '../dfu/spec.js';
import { decodeStringDescriptor } from '../usb/descriptors.js';
import type { RawDeviceDescriptors } from '../usb/transport.js';

export interface DescriptorInput {
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly manufacturer: string;
  readonly product: string;
  readonly serial: string;
  /** The alt-setting strings (DfuSe memory layouts), alt 0 first. */
  readonly alternateNames: readonly string[];
  /** DFU functional descriptor bmAttributes (ST: 0x0B). */
  readonly attributes: number;
  readonly detachTimeoutMs: number;
  readonly transferSize: number;
  /** bcdDFUVersion; ST DfuSe reports 0x011A. */
  readonly dfuVersion?: number;
  /** How the serial string is encoded: USB says UTF-16LE; the GD32VF103 ROM sends 8-bit characters. */
  readonly serialEncoding?: 'utf-16le' | 'utf-8';
}

const DEVICE_DESCRIPTOR = 1;
const CONFIGURATION_DESCRIPTOR = 2;
const STRING_DESCRIPTOR = 3;
const INTERFACE_DESCRIPTOR = 4;

/** String indexes as in the F4 Discovery's lsusb -v: 1..3 for the device, 4.. for the alt settings. */
export const STRING_INDEX = { manufacturer: 1, product: 2, serial: 3, firstAlternate: 4 } as const;

/** LANGID 0x0409 (English, United States): the only language ST bootloaders offer. */
const LANGUAGE_ID_EN_US = 0x0409;

// DFU 1.1 §4.2.3: application-specific class 0xFE, DFU subclass 1, DFU-mode protocol 2.
const DFU_CLASS = 0xfe;
const DFU_SUBCLASS = 1;
const DFU_MODE_PROTOCOL = 2;

export function buildDeviceDescriptor(input: DescriptorInput): Uint8Array {
  const bytes = new Uint8Array(18);
  bytes[0] = 18;
  bytes[1] = DEVICE_DESCRIPTOR;
  writeU16LE(bytes, 2, 0x0200); // bcdUSB 2.00 (full-speed device)
  bytes[4] = 0; // class defined per interface
  bytes[5] = 0;
  bytes[6] = 0;
  bytes[7] = 64; // bMaxPacketSize0
  writeU16LE(bytes, 8, input.vendorId);
  writeU16LE(bytes, 10, input.productId);
  writeU16LE(bytes, 12, input.bcdDevice);
  bytes[14] = STRING_INDEX.manufacturer;
  bytes[15] = STRING_INDEX.product;
  bytes[16] = STRING_INDEX.serial;
  bytes[17] = 1; // bNumConfigurations
  return bytes;
}

export function buildFunctionalDescriptor(input: DescriptorInput): Uint8Array {
  const bytes = new Uint8Array(9);
  bytes[0] = 9;
  bytes[1] = DFU_FUNCTIONAL_DESCRIPTOR_TYPE;
  bytes[2] = input.attributes;
  writeU16LE(bytes, 3, input.detachTimeoutMs);
  writeU16LE(bytes, 5, input.transferSize);
  writeU16LE(bytes, 7, input.dfuVersion ?? DFUSE_VERSION);
  return bytes;
}

/**
 * Configuration descriptor, one interface (number 0) with one interface descriptor per alt
 * setting, then the DFU functional descriptor after the last alt setting (where ST BLs put it and
 * where dfu-util finds it as "extra" bytes).
 */
export function buildConfigurationDescriptor(input: DescriptorInput): Uint8Array {
  const alternates = input.alternateNames.length;
  const totalLength = 9 + 9 * alternates + 9;
  const bytes = new Uint8Array(totalLength);
  bytes[0] = 9;
  bytes[1] = CONFIGURATION_DESCRIPTOR;
  writeU16LE(bytes, 2, totalLength);
  bytes[4] = 1; // bNumInterfaces
  bytes[5] = 1; // bConfigurationValue
  bytes[6] = 0; // iConfiguration: none
  bytes[7] = 0xc0; // self-powered
  bytes[8] = 50; // bMaxPower: 100 mA in 2 mA units
  for (let alternate = 0; alternate < alternates; alternate++) {
    const offset = 9 + 9 * alternate;
    bytes[offset] = 9;
    bytes[offset + 1] = INTERFACE_DESCRIPTOR;
    bytes[offset + 2] = 0; // bInterfaceNumber
    bytes[offset + 3] = alternate;
    bytes[offset + 4] = 0; // bNumEndpoints: DFU uses the control pipe only
    bytes[offset + 5] = DFU_CLASS;
    bytes[offset + 6] = DFU_SUBCLASS;
    bytes[offset + 7] = DFU_MODE_PROTOCOL;
    bytes[offset + 8] = STRING_INDEX.firstAlternate + alternate;
  }
  bytes.set(buildFunctionalDescriptor(input), 9 + 9 * alternates);
  return bytes;
}

/** The string descriptors as the device sends them, by index (index 0, the language table, is not a string). */
export function buildRawStrings(input: DescriptorInput): Map<number, Uint8Array> {
  const raw = new Map<number, Uint8Array>([
    [STRING_INDEX.manufacturer, encodeStringDescriptor(input.manufacturer)],
    [STRING_INDEX.product, encodeStringDescriptor(input.product)],
    [STRING_INDEX.serial, encodeStringDescriptor(input.serial, input.serialEncoding)],
  ]);
  input.alternateNames.forEach((name, alternate) => raw.set(STRING_INDEX.firstAlternate + alternate, encodeStringDescriptor(name)));
  return raw;
}

/**
 * Strings by index as an adapter that reads UTF-16LE makes of them (what RawDeviceDescriptors
 * carries): for a UTF-8 serial that is what a real USB stack shows, not the text.
 */
export function buildStrings(input: DescriptorInput): Map<number, string> {
  return new Map([...buildRawStrings(input)].map(([index, bytes]) => [index, decodeStringDescriptor(bytes)]));
}

/** A string descriptor's bytes: bLength, type 3, UTF-16LE text (USB 2.0 §9.6.7), or 8-bit text where a ROM sends that. */
export function encodeStringDescriptor(text: string, encoding: 'utf-16le' | 'utf-8' = 'utf-16le'): Uint8Array {
  const payload = encoding === 'utf-8' ? new TextEncoder().encode(text) : undefined;
  const length = 2 + (payload ? payload.length : 2 * text.length);
  if (length > 255) throw new RangeError(`string descriptor too long (${text.length} characters)`);
  const bytes = new Uint8Array(length);
  bytes[0] = length;
  bytes[1] = STRING_DESCRIPTOR;
  if (payload) bytes.set(payload, 2);
  else for (let i = 0; i < text.length; i++) writeU16LE(bytes, 2 + 2 * i, text.charCodeAt(i));
  return bytes;
}

/**
 * GET_DESCRIPTOR(STRING, index) as the device answers it: index 0 is the LANGID table, unknown
 * indexes have no descriptor (the device STALLs; undefined here).
 */
export function stringDescriptorBytes(strings: ReadonlyMap<number, string>, index: number, raw?: ReadonlyMap<number, Uint8Array>): Uint8Array | undefined {
  if (index === 0) {
    const bytes = new Uint8Array(4);
    bytes[0] = 4;
    bytes[1] = STRING_DESCRIPTOR;
    writeU16LE(bytes, 2, LANGUAGE_ID_EN_US);
    return bytes;
  }
  const bytes = raw?.get(index);
  if (bytes) return bytes;
  const text = strings.get(index);
  return text === undefined ? undefined : encodeStringDescriptor(text);
}

export function buildDescriptors(input: DescriptorInput): RawDeviceDescriptors {
  return {
    device: buildDeviceDescriptor(input),
    configuration: buildConfigurationDescriptor(input),
    strings: buildStrings(input),
    rawStrings: buildRawStrings(input),
  };
}
