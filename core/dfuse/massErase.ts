// When a DfuSe mass erase may be sent. The command (DNLOAD of 0x41 alone, reference §2.1) carries no
// address: the bootloader clears its main flash whatever alt setting is selected, and it clears what
// it believes the flash to be. So a mass erase is allowed only for the main flash region, only when
// the flash size is not in doubt, and it is flagged where no public tool is known to use it.
import { formatSize } from '../format.js';
import { knownFlashOverstatement, massEraseSupport } from '../devices/stm32.js';
import { DfuError } from '../errors.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { FlashSizeLimit } from './flashLimit.js';
import { regionRange } from './memoryLayout.js';
import { mainFlashOf } from './regionRole.js';

export interface MassEraseCheck {
  readonly info: DeviceInfo;
  readonly alternate: number;
  /** The limit in force (flash-size register or the user's size), if any. */
  readonly limit: FlashSizeLimit | undefined;
  /** The user gave a flash size (even one at or above the described size: then the part is known). */
  readonly hasUserSize: boolean;
}

/**
 * Throws when a mass erase must not be sent; returns the warnings to show when it may. Under a
 * limit the caller sends sector erases below it instead (flashLimit.ts sectorsBelowLimit), which
 * is always allowed.
 */
export function checkMassErase(check: MassEraseCheck): string[] {
  const { info, alternate, limit, hasUserSize } = check;
  const main = mainFlashOf(info);
  const alt = info.alternates.find((a) => a.alternate === alternate);
  if (!main || main.alternate !== alternate) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'erase',
      reason:
        `a DfuSe mass erase has no address: the bootloader clears its main flash${main ? ` (alt ${main.alternate} "${main.name}")` : ''} ` +
        `whatever alt setting is selected, so it is refused for alt ${alternate}${alt ? ` "${alt.name}"` : ''}` +
        (main ? `; erase alt ${main.alternate} to clear the flash` : ''),
    });
  }
  if (limit) return [];
  const known = knownFlashOverstatement(info.family, main.layout.region);
  if (known && !hasUserSize && info.flashSizeBytes === undefined) {
    const described = regionRange(main.layout.region);
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'flashSizeBytes',
      reason:
        `this bootloader describes ${formatSize(described.end - described.start)} of flash, as ${known.parts} parts (${formatSize(known.realBytes)}) do too, ` +
        `and a mass erase would reach the missing flash on those (${known.risk}): give the real flash size first ` +
        `(${formatSize(known.realBytes)} or ${formatSize(known.claimedBytes)}), or erase only what the image touches`,
    });
  }
  const support = massEraseSupport(info.family);
  return support.support === 'known'
    ? []
    : [`the DfuSe mass erase is unverified on this bootloader (${support.source}); if it fails or leaves data behind, erase the sectors instead`];
}
