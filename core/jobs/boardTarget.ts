// The kind of board a multi-board run was planned for (station mode, --all, the app's "flash every
// board that connects"). Every further board must be the same kind: same bootloader (USB ids,
// bootloader version), same family guess and the same memory layout. Otherwise an image planned for
// an STM32L073 lands on an STM32F405 whose flash happens to cover the same addresses.
import { formatHex4, formatUsbId } from '../format.js';
import { bootloaderKey } from '../dfuse/bootloaderKey.js';
import { DfuError } from '../errors.js';
import type { DeviceInfo } from '../usb/descriptors.js';

export interface BoardTarget {
  readonly family: DeviceInfo['family'];
  readonly bootloaderKey: string;
  /** Every alt-setting string, in alt order. */
  readonly layout: readonly string[];
  /** "STM32L0 (0483:df11, bootloader 2200, Internal Flash 192 KiB)" style text for messages. */
  readonly label: string;
}

export function boardTargetOf(info: DeviceInfo): BoardTarget {
  return {
    family: info.family,
    bootloaderKey: bootloaderKey(info),
    layout: [...info.alternates].sort((a, b) => a.alternate - b.alternate).map((a) => a.descriptor),
    label: boardLabel(info),
  };
}

function boardLabel(info: DeviceInfo): string {
  const family = info.family === 'unknown' ? 'unknown family' : `STM32${info.family}`;
  const first = info.alternates.find((a) => a.layout)?.descriptor.trim() ?? 'no layout';
  return `${family} (${formatUsbId(info.vendorId, info.productId)}, bootloader ${formatHex4(info.bcdDevice)}, ${first})`;
}

/** Why `info` is not the board `target` describes, or undefined when it is. */
export function boardMismatch(target: BoardTarget, info: DeviceInfo): string | undefined {
  const actual = boardTargetOf(info);
  if (actual.family !== target.family) return `it is an ${actual.family === 'unknown' ? 'unknown family' : `STM32${actual.family}`}, not an ${target.family === 'unknown' ? 'unknown family' : `STM32${target.family}`}`;
  if (actual.bootloaderKey !== target.bootloaderKey) return 'its bootloader (USB ids, version or flash layout) differs';
  if (actual.layout.join('\n') !== target.layout.join('\n')) return 'its memory regions differ';
  return undefined;
}

/** Refuses a board that is not the kind the run was planned for (DfuError 'board-mismatch'). */
export function checkBoardMatches(target: BoardTarget, info: DeviceInfo): void {
  const reason = boardMismatch(target, info);
  if (reason) throw new DfuError({ kind: 'board-mismatch', expected: target.label, actual: boardTargetOf(info).label, reason });
}
