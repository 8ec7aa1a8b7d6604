// What the CLI tells a person when something fails: the one-line reason (core's describe()) and,
// where the user can act on it, a hint. Permission problems get the actual fix, never a libusb code.
import { describe, type DfuErrorInfo } from '../core/errors.js';
import { cliFlagOf } from '../core/jobs/confirmations.js';
import { usbAccessHelp, usbAccessLines } from '../core/devices/usbAccess.js';

/**
 * The fix for 'access-denied', from the one list of bootloader ids (core/devices/usbAccess.ts). The
 * CLI cannot know where a copy of the rules file is, so on Linux it writes the rules inline.
 */
export function accessDeniedHint(platform: string): string {
  return usbAccessLines(usbAccessHelp(platform, 'inline')).join('\n');
}

/** A hint for errors the user can act on; undefined for the rest. */
export function hintFor(info: DfuErrorInfo, platform: string): string | undefined {
  switch (info.kind) {
    case 'access-denied':
      return accessDeniedHint(info.platform || platform);
    case 'no-device':
      return info.selector
        ? 'run `dfu-desk list` to see the connected devices and their serials and paths.'
        : 'put the board in DFU mode (BOOT0 high, then reset or replug) and check the cable; `dfu-desk list` shows what is connected. `--simulate stm32l073` tries dfu-desk without hardware.';
    case 'ambiguous-device':
      return 'choose one with --device SERIAL or --device PATH (paths tell apart boards with equal serials), or use --all.';
    case 'read-protected':
      return 'the chip is read-protected (RDP level 1). `dfu-desk unprotect --yes` removes it and mass-erases the flash.';
    case 'verify-mismatch':
      return 'the device content differs from the image; rerun with --json or --report for the mismatching ranges.';
    case 'not-writable':
    case 'image-too-large':
      return 'check the image base address (--address for raw binaries) and the target region (--alt); `dfu-desk info` lists the regions.';
    case 'confirmation-required':
      return info.action === 'permanent-lock'
        ? 'RDP level 2 locks the chip for good (no debug, no bootloader, irreversible); add --permanently-lock-chip only if that is what you want.'
        : `add ${cliFlagOf(info.action)} to confirm.`;
    case 'board-mismatch':
      return 'every board in one run must be the kind the first one was (same bootloader, family and memory layout); flash the others in a run of their own.';
    case 'device-gone':
      return 'the board was disconnected or reset; reconnect it in DFU mode and run the command again.';
    case 'internal':
      return 'this is a bug in dfu-desk; please report it with the --log file.';
    default:
      return undefined;
  }
}

export function errorText(info: DfuErrorInfo, platform: string): string {
  const hint = hintFor(info, platform);
  return `error: ${describe(info)}${hint ? `\nhint: ${hint}` : ''}`;
}
