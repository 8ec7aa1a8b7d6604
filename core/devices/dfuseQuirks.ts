// Descriptor quirks of real DfuSe bootloaders, as data: what a ROM reports wrongly about itself
// (its serial number's encoding, its flash layout, a region's name) and how the host reads it
// instead. Each entry names the device it matches, what it corrects and where the behaviour was
// seen. describeDevice (core/usb/descriptors.ts) applies them where the layout is parsed from the
// device, and records every change as a layout correction next to the parser's own corrections,
// so `dfu-desk info`, the app's device panel and the session log show what was changed and why.
//
// Transfer-level quirks (polling, leave, mass-erase time) stay in stm32.ts `quirks`.
import { formatAddress, formatSize } from '../format.js';
import type { LayoutWarning, MemoryRegion, ParsedLayout, Segment } from '../dfuse/memoryLayout.js';

export interface DescriptorQuirkMatch {
  readonly vendorId: number;
  readonly productId?: number;
  /** Any of these bootloader versions; absent = all. */
  readonly bcdDevice?: readonly number[];
}

/**
 * The flash layout follows from the part number the ROM puts in its serial string instead of
 * from the alt-setting string: every page has `pageSize` bytes and the letter at `sizeLetterAt`
 * gives the page count.
 */
export interface LayoutFromPartNumber {
  readonly kind: 'layout-from-part-number';
  /** The part the serial names ("GD32VF103"). */
  readonly part: string;
  readonly alternate: number;
  /** The segment starting here is replaced. */
  readonly flashStart: number;
  readonly pageSize: number;
  /** The serial strings this applies to (dfu-util: 4 characters, '3' first, 'J' last). */
  readonly serialPattern: RegExp;
  readonly sizeLetterAt: number;
  readonly pagesByLetter: Readonly<Record<string, number>>;
  /** Page count when the letter is not in the table (the largest part: never more than exists). */
  readonly fallbackPages: number;
}

/** One alt-setting string that names its region wrongly; the region is read under `name`. */
export interface RegionName {
  readonly kind: 'region-name';
  readonly descriptor: string;
  readonly name: string;
}

/** The serial string descriptor carries UTF-8 (ASCII) bytes instead of UTF-16LE. */
export interface Utf8Serial {
  readonly kind: 'utf8-serial';
}

/**
 * The interface is DfuSe whatever bcdDFUVersion says. DfuSe (ST's extension) is told from plain
 * DFU 1.1 by bcdDFUVersion 0x011A; a device listed here is read as DfuSe even with another value.
 */
export interface ForceDfuse {
  readonly kind: 'force-dfuse';
}

export type DescriptorCorrection = LayoutFromPartNumber | RegionName | Utf8Serial | ForceDfuse;

export type DescriptorQuirkId = 'gd32-utf8-serial' | 'gd32vf103-page-layout' | 'at32-option-byte-name' | 'st-force-dfuse-version';

export interface DescriptorQuirk {
  readonly id: DescriptorQuirkId;
  readonly match: DescriptorQuirkMatch;
  readonly correction: DescriptorCorrection;
  /** What the device does wrong, in words. */
  readonly why: string;
  /** Where it was seen or how other hosts handle it. */
  readonly source: string;
}

const ST = 0x0483;
const ST_DFU = 0xdf11;
const GIGADEVICE = 0x28e9;
const GD32_DFU = 0x0189;
const ARTERY = 0x2e3c;
const ARTERY_DFU = 0xdf11;

export const descriptorQuirks: readonly DescriptorQuirk[] = [
  {
    id: 'st-force-dfuse-version',
    match: { vendorId: ST, productId: ST_DFU },
    correction: { kind: 'force-dfuse' },
    why: "ST's ROM bootloader (0483:df11) speaks DfuSe; fwupd forces its DFU version to 0x011A, so a ROM that reports another value is still read as DfuSe",
    source: 'fwupd plugins/dfu/dfu.quirk: [USB\\VID_0483&PID_DF11] "STM32F745 dfuse bootloader", DfuForceVersion = 0x011a; dfu-util dfu_util.c treats bcdDFUVersion 0x011A as DfuSe',
  },
  {
    id: 'gd32-utf8-serial',
    match: { vendorId: GIGADEVICE, productId: GD32_DFU },
    correction: { kind: 'utf8-serial' },
    why: 'the GD32VF103 ROM sends its serial string descriptor as 8-bit characters ("3CBJ"), not UTF-16LE, so a USB stack shows two unreadable characters',
    source:
      'dfu-util quirks.c (QUIRK_UTF8_SERIAL for 28e9:0189); fwupd plugins/dfu fu-dfu-device.c (gd32 flag: "encodes the serial number in UTF-8") and its GD32VF103 capture plugins/dfu/tests/dfu-gd32vf103-setup.json (serial descriptor bytes 06 03 33 43 42 4A)',
  },
  {
    id: 'gd32vf103-page-layout',
    match: { vendorId: GIGADEVICE, productId: GD32_DFU },
    correction: {
      kind: 'layout-from-part-number',
      part: 'GD32VF103',
      alternate: 0,
      flashStart: 0x08000000,
      pageSize: 1024,
      serialPattern: /^3..J$/,
      sizeLetterAt: 2,
      // GD32VF103 datasheet tables 2-1/2-2 as both dfu-util and fwupd read them: 4 = 16 KiB, 6 = 32, 8 = 64, B = 128;
      // fwupd also knows '2' (8 KiB). fwupd's 'D' (256 KiB) is left to the fallback: no GD32VF103 has it.
      pagesByLetter: { '2': 8, '4': 16, '6': 32, '8': 64, B: 128 },
      fallbackPages: 128,
    },
    why: 'GD32VF103 ROMs describe "512*002Kg" (1 MiB in 2 KiB pages) while the chip has at most 128 KiB in 1 KiB pages: erasing by the string leaves every other page unerased',
    source:
      'dfu-util quirks.c fixup_dfuse_layout (QUIRK_DFUSE_LAYOUT for 28e9:0189, any bcdDevice: serial of 4 characters, \'3\' first, \'J\' last; 1 KiB pages; page count from the third character, unknown = 128); fwupd fu-dfu-target.c (gd32 flag: rewrites alt 0 to "@Internal Flash /0x8000000/N*1Kg" from the same letter, refuses unknown letters); the string itself in public dfu-util -l listings of Longan Nano boards: ver=1000, alt 0 "@Internal Flash  /0x08000000/512*002Kg", alt 1 "@Option Bytes  /0x1FFFF800/01*016 g", serial "3CBJ"',
  },
  {
    id: 'at32-option-byte-name',
    match: { vendorId: ARTERY, productId: ARTERY_DFU },
    correction: { kind: 'region-name', descriptor: '@Option byte   /0x1FFFC000/01*4096 g', name: 'Option bytes' },
    why: 'AT32F43xxM ROMs name their option-byte region "Option byte"',
    source: 'Betaflight Configurator usbdfu.js parseDescriptor (rewrites the AT32F43xxM and AT32F43xxG strings to "Option bytes")',
  },
  {
    id: 'at32-option-byte-name',
    match: { vendorId: ARTERY, productId: ARTERY_DFU },
    correction: { kind: 'region-name', descriptor: '@Option byte   /0x1FFFC000/01*512 g', name: 'Option bytes' },
    why: 'AT32F43xxG ROMs name their option-byte region "Option byte"',
    source: 'Betaflight Configurator usbdfu.js parseDescriptor (rewrites the AT32F43xxM and AT32F43xxG strings to "Option bytes")',
  },
];

export interface DescriptorIdentity {
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
}

export function descriptorQuirksFor(device: DescriptorIdentity): DescriptorQuirk[] {
  return descriptorQuirks.filter(
    ({ match }) =>
      match.vendorId === device.vendorId &&
      (match.productId === undefined || match.productId === device.productId) &&
      (match.bcdDevice === undefined || match.bcdDevice.includes(device.bcdDevice)),
  );
}

export const DFUSE_BCD_VERSION = 0x011a;

/**
 * Whether an interface is DfuSe: bcdDFUVersion 0x011A (reference §1.2), or a device the quirks
 * table forces. `hasDescriptor` false: no functional descriptor was found and DfuSe is assumed
 * (describeDevice already warns about it).
 */
export function dfuseVersionCheck(
  quirks: readonly DescriptorQuirk[],
  dfuVersion: number,
  hasDescriptor: boolean,
): { readonly isDfuSe: true; readonly forcedBy?: DescriptorQuirk } | { readonly isDfuSe: false; readonly reason: string } {
  if (!hasDescriptor || dfuVersion === DFUSE_BCD_VERSION) return { isDfuSe: true };
  const forcedBy = quirks.find((q) => q.correction.kind === 'force-dfuse');
  if (forcedBy) return { isDfuSe: true, forcedBy };
  const version = `0x${dfuVersion.toString(16).padStart(4, '0').toUpperCase()}`;
  const plain = dfuVersion === 0x0110 ? 'DFU 1.1' : dfuVersion === 0x0100 ? 'DFU 1.0' : 'not DfuSe';
  return {
    isDfuSe: false,
    reason: `not a DfuSe interface: its DFU functional descriptor says bcdDFUVersion ${version} (${plain}); DfuSe bootloaders (ST, GD32, AT32) say 0x011A, and DFU Desk programs DfuSe devices only`,
  };
}

/** A LayoutWarning that a quirk made, with its id and source. */
export interface QuirkCorrection extends LayoutWarning {
  readonly quirk: DescriptorQuirkId;
  readonly source: string;
}

/**
 * The serial number as the device means it. `raw` is the string descriptor as received (bLength,
 * type 3, payload); `decoded` is what a UTF-16LE reader made of it. Without the quirk, `decoded`.
 */
export function serialNumberOf(quirks: readonly DescriptorQuirk[], raw: Uint8Array | undefined, decoded: string | undefined): string | undefined {
  if (!quirks.some((q) => q.correction.kind === 'utf8-serial')) return decoded;
  let payload: Uint8Array | undefined;
  if (raw && raw.length >= 2) {
    payload = raw.subarray(2, Math.max(2, Math.min(raw.length, raw[0]! >= 2 ? raw[0]! : raw.length)));
  } else if (decoded !== undefined) {
    // Only the UTF-16LE reading is known: its code units give back the bytes (an odd last byte is lost).
    payload = new Uint8Array(decoded.length * 2);
    for (let i = 0; i < decoded.length; i++) {
      payload[2 * i] = decoded.charCodeAt(i) & 0xff;
      payload[2 * i + 1] = decoded.charCodeAt(i) >>> 8;
    }
  }
  if (!payload) return decoded;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(payload);
  const nul = text.indexOf('\0');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/**
 * Applies the layout quirks to one parsed alt setting. Returns the layout unchanged when no quirk
 * changes anything; otherwise the corrected region with one QuirkCorrection per change.
 */
export function correctLayout(
  quirks: readonly DescriptorQuirk[],
  alt: { readonly alternate: number; readonly descriptor: string; readonly serialNumber?: string },
  parsed: ParsedLayout,
): ParsedLayout {
  let region = parsed.region;
  const added: QuirkCorrection[] = [];
  for (const quirk of quirks) {
    const { correction } = quirk;
    if (correction.kind === 'region-name') {
      if (squeeze(alt.descriptor) !== squeeze(correction.descriptor) || region.name === correction.name) continue;
      added.push({
        position: 1,
        message: `region named "${region.name}": read as "${correction.name}" (${quirk.why})`,
        quirk: quirk.id,
        source: quirk.source,
      });
      region = { ...region, name: correction.name };
    } else if (correction.kind === 'layout-from-part-number') {
      const fixed = layoutFromPartNumber(correction, quirk, alt, region);
      if (fixed) {
        region = fixed.region;
        added.push(fixed.correction);
      }
    }
  }
  return added.length === 0 ? parsed : { region, warnings: [...parsed.warnings, ...added] };
}

function layoutFromPartNumber(
  correction: LayoutFromPartNumber,
  quirk: DescriptorQuirk,
  alt: { readonly alternate: number; readonly descriptor: string; readonly serialNumber?: string },
  region: MemoryRegion,
): { region: MemoryRegion; correction: QuirkCorrection } | undefined {
  const serial = alt.serialNumber;
  if (alt.alternate !== correction.alternate || serial === undefined || !correction.serialPattern.test(serial)) return undefined;
  const index = region.segments.findIndex((s) => s.start === correction.flashStart);
  const segment = region.segments[index];
  if (!segment) return undefined;
  const letter = serial[correction.sizeLetterAt] ?? '';
  const known = correction.pagesByLetter[letter];
  const pages = known ?? correction.fallbackPages;
  const replaced: Segment = {
    ...segment,
    sectorSize: correction.pageSize,
    sectorCount: pages,
    end: segment.start + pages * correction.pageSize,
  };
  if (replaced.end === segment.end && replaced.sectorSize === segment.sectorSize) return undefined;
  // Later segments that the real flash now overlaps cannot exist; keep the rest as described.
  const segments = [...region.segments.slice(0, index), replaced, ...region.segments.slice(index + 1).filter((s) => s.start >= replaced.end)];
  const described = `${segment.sectorCount} x ${formatSize(segment.sectorSize)} (${formatSize(segment.end - segment.start)})`;
  const real = `${pages} x ${formatSize(correction.pageSize)} (${formatSize(pages * correction.pageSize)})`;
  const size = known !== undefined ? `size letter '${letter}' of serial "${serial}"` : `serial "${serial}" has the unknown size letter '${letter}': assuming the largest part`;
  const groupAt = positionOfFirstGroup(alt.descriptor);
  return {
    region: { ...region, segments },
    correction: {
      position: groupAt,
      message: `${correction.part} at ${formatAddress(segment.start)}: the bootloader describes ${described}, read as ${real} from the ${size} (${quirk.why})`,
      quirk: quirk.id,
      source: quirk.source,
    },
  };
}

function positionOfFirstGroup(descriptor: string): number {
  const first = descriptor.indexOf('/');
  const second = first < 0 ? -1 : descriptor.indexOf('/', first + 1);
  return second < 0 ? 0 : second + 1;
}

const squeeze = (text: string) => text.replace(/\s+/g, ' ').trim();
