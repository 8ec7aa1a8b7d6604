// What the parts of a session share: the device, the link, the event reporter, the strategy and
// the device bytes it knows. The session (session.ts) builds one; transfers.ts, planExecution.ts
// and resetOperations.ts take it instead of reaching into the session.
import type { Clock } from '../clock.js';
import { DfuError } from '../errors.js';
import { MemoryImage, type AddressRange } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { DeviceLink } from './link.js';
import type { MemoryRegion } from './memoryLayout.js';
import type { PollingStrategy } from './poll.js';
import { mainFlashOf, optionBytesAlternateOf } from './regionRole.js';
import type { PhaseReporter } from './sessionEvents.js';

export interface SessionStrategy {
  /** Default 'adaptive'; 'reported' sleeps every bwPollTimeout like dfu-util 0.11 (benchmarks). */
  readonly polling?: PollingStrategy;
  /**
   * 'per-run' (default): one set-address per run of consecutive full chunks, then block numbers
   * 2, 3, 4... (Betaflight; address = pointer + (n-2) x wTransferSize, AN3156 §6.3.2).
   * 'per-chunk': set-address before every chunk, always block 2 (dfu-util, webdfu, pydfu).
   */
  readonly addressing?: 'per-run' | 'per-chunk';
}

/**
 * Device bytes this session has read back and not changed since (reads, verification). Nothing
 * else can write the device while we hold it, so a differential re-flash in the same session
 * needs no new read: after a verified flash the whole image is known.
 */
export class KnownContent {
  private bytes: MemoryImage = MemoryImage.empty;

  get image(): MemoryImage {
    return this.bytes;
  }

  remember(range: AddressRange, image: MemoryImage): void {
    this.bytes = this.bytes.without(range).join(image);
  }

  /** Called before anything erases or writes `range`. */
  forget(range: AddressRange): void {
    if (!this.bytes.isEmpty) this.bytes = this.bytes.without(range);
  }
}

export interface SessionContext {
  readonly info: DeviceInfo;
  readonly link: DeviceLink;
  readonly phases: PhaseReporter;
  readonly clock: Clock;
  readonly strategy: Required<SessionStrategy>;
  readonly known: KnownContent;
  /** Session-wide cancellation (SessionOptions.signal). */
  readonly sessionSignal: AbortSignal | undefined;
  /**
   * wTransferSize as the device's descriptor gives it. info.functional.transferSize is what the
   * engine sends, at most MAX_TRANSFER_SIZE; the device places block n at pointer + (n-2) x this.
   */
  readonly deviceTransferSize: number;
}

/**
 * The longest control transfer the engine sends: libusb on Linux caps control transfers at 4 KB
 * (usbfs), and dfu-util clamps the transfer size to it (reference §2.8 item 10).
 */
export const MAX_TRANSFER_SIZE = 4096;

/** The device description with transfers capped at MAX_TRANSFER_SIZE. */
export function withTransferCap(info: DeviceInfo): DeviceInfo {
  if (info.functional.transferSize <= MAX_TRANSFER_SIZE) return info;
  return { ...info, functional: { ...info.functional, transferSize: MAX_TRANSFER_SIZE } };
}

export function checkCancelled(context: SessionContext, signal: AbortSignal | undefined, during: string): void {
  if (signal?.aborted || context.sessionSignal?.aborted) throw new DfuError({ kind: 'cancelled', during });
}

export function regionOf(info: DeviceInfo, alternate: number): MemoryRegion {
  const alt = info.alternates.find((a) => a.alternate === alternate);
  if (!alt?.layout) {
    if (alt?.error) throw new DfuError(alt.error);
    throw new DfuError({ kind: 'invalid-argument', argument: 'alternate', reason: `the device has no memory layout for alt setting ${alternate}` });
  }
  return alt.layout.region;
}

export function optionBytesRegion(info: DeviceInfo): { alternate: number; region: MemoryRegion } {
  const alt = optionBytesAlternateOf(info);
  if (!alt) throw new DfuError({ kind: 'option-bytes', reason: 'the device has no "Option Bytes" alt setting' });
  return { alternate: alt.alternate, region: alt.layout.region };
}

/** A DfuSe mass erase has no address: it clears the main flash, so it is sent only for that alt setting (massErase.ts). */
export function checkMainFlash(info: DeviceInfo, alternate: number): void {
  const main = mainFlashOf(info);
  if (main?.alternate === alternate) return;
  throw new DfuError({
    kind: 'invalid-argument',
    argument: 'erase',
    reason: `a mass erase clears the main flash whatever alt setting is selected; refused for alt ${alternate}${main ? ` (the main flash is alt ${main.alternate})` : ''}`,
  });
}
