// Which bootloader a device runs, for settings that belong to a kind of board rather than to one
// board or to whatever is connected: the app's saved flash-size limit (docs/electron.md). The
// L072xB and L073 bootloaders send the same descriptors (reference §7.1), so they share a key; that
// is what the user means when they say "my boards with this bootloader have 128 KiB". The serial
// number and the bus path are left out: they differ between boards of the same kind.
import type { DeviceInfo } from '../usb/descriptors.js';

// Lower-case on purpose: keys are stored in users' settings files, so their spelling never changes
// with how the window writes USB ids (core/format.ts).
const hex4 = (value: number): string => value.toString(16).padStart(4, '0');

/** `vvvv:pppp:dddd:<alt-0 descriptor>`, e.g. "0483:df11:2200:@Internal Flash  /0x08000000/1536*128g". */
export function bootloaderKey(info: Pick<DeviceInfo, 'vendorId' | 'productId' | 'bcdDevice' | 'alternates'>): string {
  const first = info.alternates.find((alternate) => alternate.alternate === 0) ?? info.alternates[0];
  return `${hex4(info.vendorId)}:${hex4(info.productId)}:${hex4(info.bcdDevice)}:${first?.descriptor ?? ''}`;
}

/** What a key must look like when it arrives from the settings file or the window (apiValidation.ts). */
export const BOOTLOADER_KEY_PATTERN = /^[0-9a-f]{4}:[0-9a-f]{4}:[0-9a-f]{4}:/;
