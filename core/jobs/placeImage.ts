// Where a firmware file goes on a given device: the same answer for the CLI and the app. A .dfu
// file contributes every target (flash and data EEPROM alike); a raw binary starts at the address
// the user gave or at the start of the target region, and says so; a .dfu or suffixed file made for
// another USB device needs the 'file-for-other-device' confirmation.
import { formatAddress, formatUsbId } from '../format.js';
import { DfuError } from '../errors.js';
import { imageOfTargets, loadFirmware, type FirmwareFile, type FirmwareFormat } from '../image/firmwareFile.js';
import type { MemoryImage } from '../image/memoryImage.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import { regionRange, segmentAt } from '../dfuse/memoryLayout.js';
import type { AlternateInfo, DeviceInfo } from '../usb/descriptors.js';
import { confirmation, type Confirmation } from './confirmations.js';

/** A firmware file as the front end read it. */
export interface FirmwareSource {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  /** The format the user named (CLI --format); otherwise the file name's extension decides (core/image/firmwareFile.ts). */
  readonly format?: FirmwareFormat;
}

export interface Placement {
  /** Write into this alt setting only (CLI --alt). */
  readonly alternate?: number;
  /** Where a raw binary starts; default the start of the target region. Ignored for files with addresses. */
  readonly baseAddress?: number;
}

export interface PlacedImage {
  readonly firmware: FirmwareFile;
  /** Every byte the file asks to write, all .dfu targets included. */
  readonly image: MemoryImage;
  /** Set when the caller chose the alt setting. */
  readonly alternate?: number;
  /** A raw binary's start address (given or defaulted); absent for files that carry addresses. */
  readonly baseAddress?: number;
  readonly warnings: readonly string[];
  readonly confirmations: readonly Confirmation[];
}

/** DFU 1.1 appendix B (the file suffix): idVendor/idProduct 0xFFFF mean "any device". */
const ANY_ID = 0xffff;

export function isRawBinaryFormat(format: FirmwareFile['format']): boolean {
  return format === 'binary' || format === 'binary-dfu-suffix';
}

/** The alt setting the caller chose, which must exist and have a layout. */
export function chosenAlternate(info: DeviceInfo, alternate: number): AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> } {
  const alt = info.alternates.find((a) => a.alternate === alternate);
  if (!alt) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'alternate',
      reason: `the device has no alt setting ${alternate} (it has ${info.alternates.map((a) => `${a.alternate} "${a.name}"`).join(', ') || 'none'})`,
    });
  }
  if (!alt.layout) {
    if (alt.error) throw new DfuError(alt.error);
    throw new DfuError({ kind: 'invalid-argument', argument: 'alternate', reason: `alt setting ${alternate} "${alt.name}" has no memory layout` });
  }
  return alt as AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> };
}

export function placeImage(source: FirmwareSource, info: DeviceInfo, placement: Placement = {}): PlacedImage {
  const chosen = placement.alternate !== undefined ? chosenAlternate(info, placement.alternate) : undefined;
  const warnings: string[] = [];
  // A raw binary needs a base before it can be parsed; the format decides whether it is one.
  const home = chosen ?? mainFlashOf(info) ?? info.alternates.find((a) => a.layout);
  const defaultBase = home?.layout ? regionRange(home.layout.region).start : undefined;
  const firmware = loadFirmware(source.bytes, {
    fileName: source.fileName,
    ...(source.format !== undefined ? { format: source.format } : {}),
    ...((placement.baseAddress ?? defaultBase) !== undefined ? { baseAddress: placement.baseAddress ?? defaultBase } : {}),
  });
  warnings.push(...firmware.warnings);
  let baseAddress: number | undefined;
  if (isRawBinaryFormat(firmware.format)) {
    baseAddress = placement.baseAddress ?? defaultBase;
    if (baseAddress === undefined) {
      throw new DfuError({ kind: 'invalid-argument', argument: 'baseAddress', reason: `${source.fileName} is a raw binary and the device names no region to place it in` });
    }
    if (placement.baseAddress === undefined) {
      warnings.push(`raw binary without addresses: placed at ${formatAddress(baseAddress)}, the start of ${home!.name}; give the address if it belongs elsewhere`);
    }
  }
  let image = firmware.image;
  if (firmware.targets && firmware.targets.length > 0) {
    // Every target, whatever its alt setting: a flash + data EEPROM file is written whole.
    image = imageOfTargets(firmware.targets, source.fileName);
    warnings.push(...targetWarnings(firmware, info));
  }
  const confirmations: Confirmation[] = [];
  const id = firmware.dfu;
  if (id && ((id.vendorId !== ANY_ID && id.vendorId !== info.vendorId) || (id.productId !== ANY_ID && id.productId !== info.productId))) {
    confirmations.push(
      confirmation(
        'file-for-other-device',
        `${source.fileName} says it is for USB device ${formatUsbId(id.vendorId, id.productId)}; this device is ${formatUsbId(info.vendorId, info.productId)}`,
      ),
    );
  }
  return {
    firmware,
    image,
    ...(chosen ? { alternate: chosen.alternate } : {}),
    ...(baseAddress !== undefined ? { baseAddress } : {}),
    warnings,
    confirmations,
  };
}

/** A .dfu target names an alt setting; say so when its bytes belong to another one (they are written by address). */
function targetWarnings(firmware: FirmwareFile, info: DeviceInfo): string[] {
  const warnings: string[] = [];
  for (const [index, target] of (firmware.targets ?? []).entries()) {
    if (target.image.isEmpty) continue;
    const owner = info.alternates.find((a) => a.layout && segmentAt(a.layout.region, target.image.start));
    const named = info.alternates.find((a) => a.alternate === target.alternate);
    if (!named) {
      warnings.push(`target ${index} names alt ${target.alternate}, which this device does not have; its bytes are written by address${owner ? ` (into alt ${owner.alternate} "${owner.name}")` : ''}`);
    } else if (owner && owner.alternate !== target.alternate) {
      warnings.push(`target ${index} names alt ${target.alternate} "${named.name}" but its bytes at ${formatAddress(target.image.start)} are in alt ${owner.alternate} "${owner.name}": written there`);
    }
  }
  return warnings;
}
