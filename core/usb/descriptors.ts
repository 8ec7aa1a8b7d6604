// USB descriptor parsing for DFU devices: device, configuration, interface (one per alt setting)
// and the DFU functional descriptor, plus describeDevice(), which turns an opened device into
// everything the engine and the UI know about it. Pure: bytes in, data out.
import { readU16LE } from '../bytes.js';
import { DFU_FUNCTIONAL_DESCRIPTOR_TYPE } from '../dfu/spec.js';
import { DfuError, type DfuErrorInfo } from '../errors.js';
import { parseMemoryLayout, type ParsedLayout } from '../dfuse/memoryLayout.js';
import { roleOfRegionName, type RegionRole } from '../dfuse/regionRole.js';
import { blankSectorCheck, guessFamily, quirksFor, realFlashEnd, type QuirkId, type Stm32Family } from '../devices/stm32.js';
import { correctLayout, descriptorQuirksFor, dfuseVersionCheck, serialNumberOf } from '../devices/dfuseQuirks.js';
import type { OpenedDevice } from './transport.js';

const DEVICE_DESCRIPTOR_TYPE = 0x01;
const CONFIGURATION_DESCRIPTOR_TYPE = 0x02;
const INTERFACE_DESCRIPTOR_TYPE = 0x04;
/** Application-specific class, DFU subclass (DFU 1.1 §4.2.1). */
const DFU_INTERFACE_CLASS = 0xfe;
const DFU_INTERFACE_SUBCLASS = 0x01;
/**
 * pydfu and Betaflight fall back to 2048 when the functional descriptor is missing. We do too, but
 * mark it as a guess so the session sets the address before every chunk (the block-number formula
 * depends on the device's real transfer size; AN3156 §6.3.2).
 */
const FALLBACK_TRANSFER_SIZE = 2048;

export interface UsbDeviceDescriptor {
  readonly usbVersion: number;
  readonly deviceClass: number;
  readonly maxPacketSize0: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly manufacturerIndex: number;
  readonly productIndex: number;
  readonly serialNumberIndex: number;
  readonly configurationCount: number;
}

export interface UsbInterfaceDescriptor {
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
  readonly endpointCount: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  /** iInterface: the string holding the DfuSe memory layout. */
  readonly nameIndex: number;
  /** Class-specific descriptors that follow this interface (libusb's "extra"). */
  readonly extra: Uint8Array;
}

export interface UsbConfiguration {
  readonly configurationValue: number;
  readonly attributes: number;
  /** Descriptors between the configuration header and the first interface. */
  readonly extra: Uint8Array;
  readonly interfaces: readonly UsbInterfaceDescriptor[];
  readonly warnings: readonly string[];
}

export interface DfuFunctionalDescriptor {
  readonly attributes: number;
  readonly canDownload: boolean;
  readonly canUpload: boolean;
  readonly manifestationTolerant: boolean;
  readonly willDetach: boolean;
  readonly detachTimeoutMs: number;
  /** wTransferSize: the most bytes one DNLOAD/UPLOAD may carry. */
  readonly transferSize: number;
  /** bcdDFUVersion: 0x0110 DFU 1.1, 0x011A ST DfuSe; 0x0100 when the 7-byte DFU 1.0 form is used. */
  readonly dfuVersion: number;
  /** Where it was found; 'default' means it was missing and the values are a fallback. */
  readonly source: 'configuration' | 'interface' | 'standalone' | 'default';
}

export interface AlternateInfo {
  readonly alternate: number;
  /** The region name ("Internal Flash"), or the trimmed string when it is not a DfuSe layout. */
  readonly name: string;
  /** The alt-setting string exactly as the device sent it. */
  readonly descriptor: string;
  readonly layout?: ParsedLayout;
  readonly error?: DfuErrorInfo;
  /** What the region is for (from its name, once, here): the write policy and the planner use it. */
  readonly role: RegionRole;
}

export interface DeviceInfo {
  readonly id: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serialNumber?: string;
  readonly path: string;
  readonly isSimulated: boolean;
  readonly functional: DfuFunctionalDescriptor;
  readonly alternates: readonly AlternateInfo[];
  readonly family: Stm32Family;
  readonly familyReason: string;
  readonly quirks: readonly QuirkId[];
  readonly warnings: readonly string[];
  /**
   * Facts worth knowing that are not problems, e.g. that smaller parts send the same flash string
   * (L072xB vs L073, H750 vs H743). Optional so older DeviceInfo literals stay valid.
   */
  readonly notes?: readonly string[];
  /** Real flash size from the flash-size register, when a session could read it. */
  readonly flashSizeBytes?: number;
  /**
   * Whether this family's flash lets a sector that reads blank go un-erased (blankSectorCheck in
   * core/devices/stm32.ts: F0-F4), so a window can say where "Leave blank sectors alone" applies.
   * Optional so older DeviceInfo literals stay valid.
   */
  readonly canLeaveBlankSectors?: boolean;
}

export function parseDeviceDescriptor(bytes: Uint8Array): UsbDeviceDescriptor {
  if (bytes.length < 18 || bytes[1] !== DEVICE_DESCRIPTOR_TYPE) {
    throw new DfuError({
      kind: 'transport',
      during: 'reading the device descriptor',
      detail: `expected an 18-byte device descriptor, got ${bytes.length} bytes of type ${bytes[1] ?? 'none'}`,
    });
  }
  return {
    usbVersion: readU16LE(bytes, 2),
    deviceClass: bytes[4]!,
    maxPacketSize0: bytes[7]!,
    vendorId: readU16LE(bytes, 8),
    productId: readU16LE(bytes, 10),
    bcdDevice: readU16LE(bytes, 12),
    manufacturerIndex: bytes[14]!,
    productIndex: bytes[15]!,
    serialNumberIndex: bytes[16]!,
    configurationCount: bytes[17]!,
  };
}

/**
 * Walks a configuration descriptor. Lenient: a truncated or zero-length descriptor ends the walk
 * with a warning instead of an exception, so one bad byte does not hide the alt settings before it.
 */
export function parseConfiguration(bytes: Uint8Array): UsbConfiguration {
  const warnings: string[] = [];
  if (bytes.length < 9 || bytes[1] !== CONFIGURATION_DESCRIPTOR_TYPE) {
    throw new DfuError({
      kind: 'transport',
      during: 'reading the configuration descriptor',
      detail: `expected a configuration descriptor, got ${bytes.length} bytes of type ${bytes[1] ?? 'none'}`,
    });
  }
  const totalLength = readU16LE(bytes, 2);
  let end = bytes.length;
  if (totalLength < end) end = Math.max(totalLength, 9);
  if (totalLength > bytes.length) warnings.push(`configuration descriptor says ${totalLength} bytes but ${bytes.length} were read`);

  const interfaces: { descriptor: Omit<UsbInterfaceDescriptor, 'extra'>; extraStart: number; extraEnd: number }[] = [];
  let configExtraEnd = end;
  let offset = bytes[0]! >= 9 ? bytes[0]! : 9;
  while (offset + 2 <= end) {
    const length = bytes[offset]!;
    const type = bytes[offset + 1]!;
    if (length < 2 || offset + length > end) {
      warnings.push(`malformed descriptor at offset ${offset} (length ${length}): the rest of the configuration was ignored`);
      break;
    }
    if (type === INTERFACE_DESCRIPTOR_TYPE && length >= 9) {
      if (interfaces.length === 0) configExtraEnd = offset;
      const last = interfaces[interfaces.length - 1];
      if (last) last.extraEnd = offset;
      interfaces.push({
        descriptor: {
          interfaceNumber: bytes[offset + 2]!,
          alternateSetting: bytes[offset + 3]!,
          endpointCount: bytes[offset + 4]!,
          interfaceClass: bytes[offset + 5]!,
          interfaceSubclass: bytes[offset + 6]!,
          interfaceProtocol: bytes[offset + 7]!,
          nameIndex: bytes[offset + 8]!,
        },
        extraStart: offset + length,
        extraEnd: end,
      });
    }
    offset += length;
  }
  const lastInterface = interfaces[interfaces.length - 1];
  if (lastInterface) lastInterface.extraEnd = Math.min(lastInterface.extraEnd, offset);
  const headerLength = Math.min(bytes[0]! >= 9 ? bytes[0]! : 9, end);
  return {
    configurationValue: bytes[5]!,
    attributes: bytes[7]!,
    extra: bytes.subarray(headerLength, interfaces.length ? configExtraEnd : Math.min(offset, end)),
    interfaces: interfaces.map(({ descriptor, extraStart, extraEnd }) => ({
      ...descriptor,
      extra: bytes.subarray(extraStart, Math.max(extraStart, extraEnd)),
    })),
    warnings,
  };
}

/** Finds a DFU functional descriptor (type 0x21) in a run of descriptors. */
export function findFunctionalDescriptor(extra: Uint8Array): Uint8Array | undefined {
  let offset = 0;
  while (offset + 2 <= extra.length) {
    const length = extra[offset]!;
    if (length < 2) return undefined;
    if (extra[offset + 1] === DFU_FUNCTIONAL_DESCRIPTOR_TYPE && length >= 7 && offset + 7 <= extra.length) {
      return extra.subarray(offset, Math.min(offset + length, extra.length));
    }
    offset += length;
  }
  return undefined;
}

/** DFU 1.1 §4.1.3. A 7-byte descriptor is DFU 1.0 without bcdDFUVersion (dfu-util assumes 1.0). */
export function parseFunctionalDescriptor(bytes: Uint8Array, source: DfuFunctionalDescriptor['source']): DfuFunctionalDescriptor {
  if (bytes.length < 7 || bytes[1] !== DFU_FUNCTIONAL_DESCRIPTOR_TYPE) {
    throw new DfuError({
      kind: 'transport',
      during: 'reading the DFU functional descriptor',
      detail: `expected at least 7 bytes of type 0x21, got ${bytes.length} bytes of type ${bytes[1] ?? 'none'}`,
    });
  }
  const attributes = bytes[2]!;
  return {
    attributes,
    canDownload: (attributes & 0x01) !== 0,
    canUpload: (attributes & 0x02) !== 0,
    manifestationTolerant: (attributes & 0x04) !== 0,
    willDetach: (attributes & 0x08) !== 0,
    detachTimeoutMs: readU16LE(bytes, 3),
    transferSize: readU16LE(bytes, 5),
    dfuVersion: bytes.length >= 9 && bytes[0]! >= 9 ? readU16LE(bytes, 7) : 0x0100,
    source,
  };
}

/**
 * Decodes a raw string descriptor (bLength, 0x03, UTF-16LE) leniently, for adapters that read the
 * bytes themselves: a wrong bLength (the STM32F427 BL truncates or overstates it; reference §2.8
 * item 5) is ignored in favour of the bytes actually received, an odd trailing byte is dropped,
 * and NUL padding is cut off.
 */
export function decodeStringDescriptor(raw: Uint8Array): string {
  if (raw.length < 2) return '';
  const claimed = raw[0]!;
  const usable = claimed >= 2 && claimed <= raw.length ? claimed : raw.length;
  const payload = raw.subarray(2, 2 + ((usable - 2) & ~1));
  let text = '';
  for (let i = 0; i + 1 < payload.length; i += 2) text += String.fromCharCode(payload[i]! | (payload[i + 1]! << 8));
  return cleanString(text);
}

function cleanString(text: string): string {
  const nul = text.indexOf('\0');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/**
 * Everything known about an opened DFU device, from its raw descriptors alone (no transfers).
 * Alt settings whose string is not a valid layout are kept, with the error, so the UI can show them.
 */
export function describeDevice(opened: OpenedDevice): DeviceInfo {
  const { summary, descriptors } = opened;
  const warnings: string[] = [];
  const device = parseDeviceDescriptor(descriptors.device);
  const configuration = parseConfiguration(descriptors.configuration);
  warnings.push(...configuration.warnings);
  const string = (index: number): string | undefined => {
    if (index === 0) return undefined;
    const text = descriptors.strings.get(index);
    return text === undefined ? undefined : cleanString(text);
  };

  const onInterface = configuration.interfaces.filter((i) => i.interfaceNumber === opened.interfaceNumber);
  const dfuInterfaces = onInterface.filter((i) => i.interfaceClass === DFU_INTERFACE_CLASS && i.interfaceSubclass === DFU_INTERFACE_SUBCLASS);
  const interfaces = (dfuInterfaces.length ? dfuInterfaces : onInterface).slice().sort((a, b) => a.alternateSetting - b.alternateSetting);
  if (dfuInterfaces.length === 0 && onInterface.length > 0) {
    warnings.push(`interface ${opened.interfaceNumber} does not declare the DFU class (0xFE/0x01); used anyway`);
  }

  const functional = functionalDescriptorOf(configuration, interfaces, descriptors.functional, device.maxPacketSize0, warnings);
  const identity = { vendorId: device.vendorId, productId: device.productId, bcdDevice: device.bcdDevice };
  const descriptorQuirks = descriptorQuirksFor(identity);
  const product = string(device.productIndex) ?? summary.product;
  const serialNumber =
    device.serialNumberIndex === 0
      ? summary.serialNumber
      : (serialNumberOf(descriptorQuirks, descriptors.rawStrings?.get(device.serialNumberIndex), string(device.serialNumberIndex)) ?? summary.serialNumber);

  // DfuSe only when bcdDFUVersion says 0x011A (or a quirk says the device is DfuSe anyway): a
  // plain DFU 1.1 device has no Set Address, erase or layout string, so its alt settings get an
  // error that every operation reports instead of a layout.
  const dfuse = dfuseVersionCheck(descriptorQuirks, functional.dfuVersion, functional.source !== 'default');
  const appliedQuirks = descriptorQuirks.filter((q) => q.correction.kind !== 'force-dfuse' || (dfuse.isDfuSe && dfuse.forcedBy === q));
  if (!dfuse.isDfuSe) warnings.push(dfuse.reason);
  else if (dfuse.forcedBy) {
    warnings.push(`bcdDFUVersion 0x${functional.dfuVersion.toString(16).padStart(4, '0').toUpperCase()} read as DfuSe: ${dfuse.forcedBy.why} (${dfuse.forcedBy.source})`);
  }

  const alternates = interfaces.map((iface): AlternateInfo => {
    const descriptor = string(iface.nameIndex);
    if (descriptor !== undefined && !dfuse.isDfuSe) {
      const name = descriptor.replace(/^@/, '').split('/')[0]!.trim() || `alt ${iface.alternateSetting}`;
      return { alternate: iface.alternateSetting, name, descriptor, error: { kind: 'layout-format', input: descriptor, position: 0, reason: dfuse.reason }, role: 'other' };
    }
    if (descriptor === undefined) {
      return {
        alternate: iface.alternateSetting,
        name: `alt ${iface.alternateSetting}`,
        descriptor: '',
        error: { kind: 'layout-format', input: '', position: 0, reason: `no string for iInterface ${iface.nameIndex}` },
        role: 'other',
      };
    }
    try {
      // Quirks of real ROMs (core/devices/dfuseQuirks.ts) are applied here, where the layout comes
      // from the device, and recorded as corrections like the parser's own.
      const layout = correctLayout(descriptorQuirks, { alternate: iface.alternateSetting, descriptor, serialNumber }, parseMemoryLayout(descriptor));
      return { alternate: iface.alternateSetting, name: layout.region.name, descriptor, layout, role: roleOfRegionName(layout.region.name) };
    } catch (error) {
      if (!(error instanceof DfuError)) throw error;
      const name = descriptor.replace(/^@/, '').split('/')[0]!.trim();
      return { alternate: iface.alternateSetting, name, descriptor, error: error.info, role: roleOfRegionName(name) };
    }
  });

  const guess = guessFamily({ ...identity, product, serialNumber, alternateNames: alternates.map((a) => a.descriptor) });
  const quirks = quirksFor({ ...identity, family: guess.family });
  const quirkIds = [...new Set<QuirkId>([...quirks.map((q) => q.id), ...appliedQuirks.map((q) => q.id)])];

  const notes: string[] = [];
  if (quirkIds.includes('descriptor-overstates-flash')) {
    const flash = alternates.find((a) => a.layout && a.role === 'flash')?.layout;
    const limit = flash ? realFlashEnd({ family: guess.family, region: flash.region }) : undefined;
    if (limit?.warning) warnings.push(limit.warning);
    if (limit?.note) notes.push(limit.note);
  }

  return {
    id: summary.id,
    vendorId: device.vendorId,
    productId: device.productId,
    bcdDevice: device.bcdDevice,
    manufacturer: string(device.manufacturerIndex),
    product,
    serialNumber,
    path: summary.path,
    isSimulated: summary.isSimulated,
    functional,
    alternates,
    family: guess.family,
    familyReason: guess.reason,
    quirks: quirkIds,
    warnings,
    notes,
    canLeaveBlankSectors: blankSectorCheck(guess.family).isSafe,
  };
}

function functionalDescriptorOf(
  configuration: UsbConfiguration,
  interfaces: readonly UsbInterfaceDescriptor[],
  standalone: Uint8Array | undefined,
  maxPacketSize0: number,
  warnings: string[],
): DfuFunctionalDescriptor {
  // dfu-util's search order: configuration extra, each interface's extra, then a standalone request.
  let found: DfuFunctionalDescriptor | undefined;
  const inConfig = findFunctionalDescriptor(configuration.extra);
  if (inConfig) found = parseFunctionalDescriptor(inConfig, 'configuration');
  for (const iface of [...interfaces, ...configuration.interfaces]) {
    if (found) break;
    const inInterface = findFunctionalDescriptor(iface.extra);
    if (inInterface) found = parseFunctionalDescriptor(inInterface, 'interface');
  }
  if (!found && standalone && standalone.length >= 7) found = parseFunctionalDescriptor(standalone, 'standalone');
  if (!found) {
    warnings.push(`no DFU functional descriptor: assuming a transfer size of ${FALLBACK_TRANSFER_SIZE} bytes and setting the address before every chunk`);
    return {
      attributes: 0x0b,
      canDownload: true,
      canUpload: true,
      manifestationTolerant: false,
      willDetach: true,
      detachTimeoutMs: 255,
      transferSize: FALLBACK_TRANSFER_SIZE,
      dfuVersion: 0x011a,
      source: 'default',
    };
  }
  if (found.transferSize < maxPacketSize0 || found.transferSize === 0) {
    // dfu-util: a transfer size below bMaxPacketSize0 is raised to it.
    const raised = Math.max(maxPacketSize0, 8);
    warnings.push(`wTransferSize ${found.transferSize} is below the control endpoint's packet size: using ${raised}`);
    found = { ...found, transferSize: raised };
  }
  return found;
}
