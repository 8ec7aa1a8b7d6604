// The real flash size from the flash-size register (F_SIZE), read at connect where the bootloader
// allows it (reference §2.8 item 6 and §7.3, design consequence 5: "limit the size to the real
// flash size (F_SIZE, or ask the user)"). The read is a DfuSe Set Address + UPLOAD of two bytes at
// the family's F_SIZE address (flashSizeRegisterFor); AN2662 lets the F105/F107 ROM read system
// memory that way (2 to 2048 bytes), other ROMs may refuse an address outside their alt settings
// [unverified per ROM]. The outcome becomes DeviceInfo.flashSizeBytes (which core/dfuse/flashLimit.ts
// uses before the user's saved value) and a note or warning saying what was corrected and why.
import { formatAddress, formatSize } from '../format.js';
import { DfuError } from '../errors.js';
import { regionRange, type MemoryRegion } from '../dfuse/memoryLayout.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { DfuTransport } from '../usb/transport.js';
import { upload } from '../dfu/requests.js';
import { DFUSE_FIRST_DATA_BLOCK } from '../dfu/spec.js';
import { flashSizeRegisterFor, knownFlashOverstatement, realFlashEnd } from './stm32.js';

export type FlashSizeProbe =
  /** F_SIZE was read: `kib` is its raw value. */
  | { readonly outcome: 'read'; readonly address: number; readonly kib: number }
  /** The bootloader refused the read (a STALL / dfuERROR), or answered with fewer bytes. */
  | { readonly outcome: 'refused'; readonly address: number; readonly detail: string }
  /** No read was tried: the family or the flash region is unknown. */
  | { readonly outcome: 'not-attempted'; readonly reason: string };

/**
 * The internal-flash region and the F_SIZE address to read for it, or why nothing is read. Only
 * descriptors that smaller parts send too (knownFlashOverstatements: the L07x string on an
 * L072xB, the H743 string on an H750) leave the size open; elsewhere the descriptor is the size,
 * and connect costs no extra request on a ROM whose answer outside its alt settings is unknown.
 */
export function flashSizeTarget(info: DeviceInfo): { readonly address: number; readonly region: MemoryRegion } | { readonly reason: string } {
  if (info.family === 'unknown') return { reason: 'the family is not known, so neither is the flash-size register' };
  const flash = info.alternates.find((alt) => alt.role === 'flash' && alt.layout)?.layout?.region;
  if (!flash) return { reason: 'no internal flash alt setting' };
  if (!knownFlashOverstatement(info.family, flash)) return { reason: 'the descriptor is not one that smaller parts send too: it is the flash size' };
  const address = flashSizeRegisterFor(info.family, flash);
  if (address === undefined) return { reason: `no flash-size register known for ${info.family}` };
  return { address, region: flash };
}

/**
 * Reads F_SIZE with `read` (two bytes from an address outside the alt settings). A refusal is an
 * outcome, not an error: the caller falls back to the user's value. A device that goes away is an
 * error (DfuError 'device-gone'), as anywhere else.
 */
export async function probeFlashSize(info: DeviceInfo, read: (address: number, length: number) => Promise<Uint8Array>): Promise<FlashSizeProbe> {
  const target = flashSizeTarget(info);
  if (!('address' in target)) return { outcome: 'not-attempted', reason: target.reason };
  const { address } = target;
  try {
    const bytes = await read(address, 2);
    if (bytes.length < 2) return { outcome: 'refused', address, detail: `the device returned ${bytes.length} bytes` };
    return { outcome: 'read', address, kib: bytes[0]! | (bytes[1]! << 8) };
  } catch (error) {
    if (error instanceof DfuError && error.info.kind === 'device-gone') throw error;
    return { outcome: 'refused', address, detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * DeviceInfo with what the probe found: flashSizeBytes when F_SIZE gave a usable size, and a note
 * (or a warning where the bootloader overstates its flash or the register is unusable) in words.
 * Without a size the descriptor stands and the user's saved flash size applies (flashLimit.ts).
 */
export function withFlashSizeProbe(info: DeviceInfo, probe: FlashSizeProbe): DeviceInfo {
  if (probe.outcome === 'not-attempted') return info;
  const target = flashSizeTarget(info);
  if (!('address' in target)) return info;
  const { region } = target;
  const { start, end } = regionRange(region);
  const described = formatSize(end - start);
  const register = `the flash-size register (F_SIZE at ${formatAddress(probe.address)})`;
  const notes = [...(info.notes ?? [])];
  const warnings = [...info.warnings];

  if (probe.outcome === 'refused') {
    notes.push(
      `The bootloader did not let ${register} be read (${probe.detail}): the flash size is the descriptor's ${described}, or the flash size you saved for this board if it is smaller.`,
    );
    return { ...info, notes };
  }

  const measured = realFlashEnd({ family: info.family, region, flashSizeRegisterValue: probe.kib });
  if (measured.flashSizeBytes === undefined) {
    if (measured.warning) warnings.push(`${measured.warning} (${register})`);
    return { ...info, warnings, notes };
  }
  // A read size replaces the "smaller parts send the same string" note: the question is answered.
  const unanswered = realFlashEnd({ family: info.family, region }).note;
  const kept = notes.filter((note) => note !== unanswered);
  if (measured.isLimited) {
    // A correction, not a problem: the note says what changed (no warning on every connect).
    kept.push(
      `Flash size corrected from ${register}: ${formatSize(measured.flashSizeBytes)}, not the ${described} the bootloader describes; erase, write and read stop at ${formatAddress(measured.end)}.`,
    );
  } else {
    kept.push(`${register} reads ${formatSize(measured.flashSizeBytes)}: the bootloader's ${described} is all there.`);
  }
  return { ...info, flashSizeBytes: measured.flashSizeBytes, warnings, notes: kept };
}

/** What reading system memory needs from a session's device link (core/dfuse/link.ts DeviceLink). */
export interface SystemMemoryLink {
  readonly transport: DfuTransport;
  ensureIdle(alternate: number, during: string): Promise<void>;
  command(command: { readonly kind: 'set-address'; readonly address: number }, kind: 'set-address', during: string): Promise<unknown>;
  abortToIdle(during: string): Promise<void>;
  recoverQuietly(during: string): Promise<void>;
}

/**
 * Reads `length` bytes at an address outside the alt settings, on alt 0: Set Address, ABORT to
 * dfuIDLE, UPLOAD block 2, ABORT (reference §2.3). On any failure the device is brought back to
 * dfuIDLE before the error is passed on.
 */
export function systemMemoryReader(link: SystemMemoryLink): (address: number, length: number) => Promise<Uint8Array> {
  return async (address, length) => {
    const during = `read of the flash-size register at ${formatAddress(address)}`;
    try {
      await link.ensureIdle(0, during);
      await link.command({ kind: 'set-address', address }, 'set-address', during);
      await link.abortToIdle(during);
      const data = await upload(link.transport, DFUSE_FIRST_DATA_BLOCK, length, during);
      await link.abortToIdle(during);
      return data;
    } catch (error) {
      if (!(error instanceof DfuError && error.info.kind === 'device-gone')) await link.recoverQuietly(during);
      throw error;
    }
  };
}
