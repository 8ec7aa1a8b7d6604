// All user-facing copy. Errors arrive as plain DfuErrorInfo data; this file turns them into a
// title, a plain-language hint and whether the user can fix it (Etcher's user-vs-app split):
// `isUserActionable: false` means a bug or an unexplained device failure, "please report".
import { formatAddress, formatDuration } from '../core/format.js';
import { outputProblemText, stateName, statusName, type DfuErrorInfo, type JobKind, type Phase } from '../core/contract/programmer.js';
import type { UDEV_RELOAD_COMMAND, UDEV_RULES_DIR, UDEV_RULES_FILE_NAME, USB_HELP_MENU_PATH } from '../core/devices/usbAccess.js';

export interface ErrorText {
  readonly title: string;
  readonly hint: string;
  readonly isUserActionable: boolean;
}

const REPORT_HINT = 'This looks like a bug in DFU Desk. Please save the log and report it.';

/**
 * What each DFU status (DFU 1.1 §6.1.2) usually means on an STM32 bootloader, and what to do. Trying
 * again rarely helps with these: the cause is in the request or the chip's configuration.
 */
const statusAdvice: Readonly<Partial<Record<number, string>>> = {
  1: 'the bootloader does not accept this target address (errTARGET). Check the base address of a raw binary and the region.',
  2: 'the file data was refused (errFILE). Check that the file is for this chip.',
  3: 'a write failed (errWRITE). The sector may be write-protected (Option bytes tab), or the address lies above the real flash: on an STM32L072xB the bootloader describes 192 KiB for 128 KiB, so set "Real flash size" to 128 KiB.',
  4: 'an erase failed (errERASE). The sector may be write-protected (Option bytes tab), or it lies above the real flash: on an STM32L072xB the bootloader describes 192 KiB for 128 KiB, so set "Real flash size" to 128 KiB. Trying again does not help.',
  5: 'the memory was not blank after erasing (errCHECK_ERASED). Erase it again; if it persists the sector may be write-protected.',
  6: 'programming failed (errPROG). The flash was probably not erased: flash again with erase on.',
  7: 'the bootloader\'s own check after writing failed (errVERIFY). Flash again with erase on.',
  8: 'the address is outside the memory (errADDRESS). Check the base address and the region; on parts whose bootloader overstates the flash, set the real flash size.',
  10: 'the firmware on the chip is not valid (errFIRMWARE), which is normal after an erase. Flash it again.',
  11: 'the chip refused it, usually because of read protection (errVENDOR). Read protection level 1 can be removed on the Option bytes tab; that erases the flash.',
};

export function errorText(info: DfuErrorInfo): ErrorText {
  switch (info.kind) {
    case 'transport':
      return {
        title: 'USB communication failed',
        hint: `The transfer failed during ${info.during}. Check the cable and the USB port, then reconnect the board in DFU mode.`,
        isUserActionable: true,
      };
    case 'device-status':
      return {
        title: `The bootloader reported ${statusName(info.status)} (${stateName(info.state)})`,
        hint: `During ${info.during}: ${statusAdvice[info.status] ?? 'the bootloader refused the request. Reset the board into DFU mode and try again; if it keeps happening, save the log and report it.'}`,
        isUserActionable: true,
      };
    case 'unexpected-state':
      return {
        title: `The bootloader is in ${stateName(info.actual)}`,
        hint: `During ${info.during} it should have been in ${info.expected.map(stateName).join(' or ')}. Reset the board into DFU mode and try again.`,
        isUserActionable: true,
      };
    case 'timeout':
      return {
        title: 'The device stopped answering',
        hint: `It was still busy after ${formatDuration(info.waitedMs)} during ${info.during}. Reset the board into DFU mode and try again.`,
        isUserActionable: true,
      };
    case 'not-writable':
      return {
        title: 'The image covers memory that cannot be written',
        // The engine's detail says why (outside the region, a gap, a read-only segment, above the flash size).
        hint: `${formatAddress(info.address)}${info.region ? ` in ${info.region}` : ''} ${info.detail ? `is not writable: ${info.detail}` : 'is read-only'}. Check the file's start address or the linker script.`,
        isUserActionable: true,
      };
    case 'not-erasable':
      return {
        title: 'That memory cannot be erased',
        hint: `${formatAddress(info.address)}${info.region ? ` in ${info.region}` : ''} is not erasable. Choose another range or erase mode.`,
        isUserActionable: true,
      };
    case 'image-too-large':
      return {
        title: 'The image does not fit',
        hint: `It ends at ${formatAddress(info.imageEnd)} but ${info.region} ends at ${formatAddress(info.regionEnd)}. Is this the firmware for this chip?`,
        isUserActionable: true,
      };
    case 'read-protected':
      return {
        title: 'The chip is read-protected',
        hint: 'Read protection (RDP level 1) blocks reading and writing flash. Removing it erases the whole flash; use Option bytes > Remove read protection.',
        isUserActionable: true,
      };
    case 'image-format': {
      const where = [info.file, info.line !== undefined ? `line ${info.line}` : undefined, info.offset !== undefined ? `offset ${info.offset}` : undefined]
        .filter((part) => part !== undefined)
        .join(', ');
      return {
        title: `This ${formatName(info.format)} file cannot be read`,
        hint: `${where ? `${where}: ` : ''}${info.reason}.`,
        isUserActionable: true,
      };
    }
    case 'layout-format':
      return {
        title: "The bootloader's memory description is unreadable",
        hint: `Position ${info.position}: ${info.reason}. Save the log and report it with the device name.`,
        isUserActionable: false,
      };
    case 'option-bytes':
      return {
        title: 'Those option bytes are not valid',
        hint: `${info.field ? `${info.field}: ` : ''}${info.reason}.`,
        isUserActionable: true,
      };
    case 'confirmation-required':
      return { title: 'This needs your confirmation', hint: info.reason, isUserActionable: true };
    case 'verify-mismatch':
      return {
        title: 'Verification failed',
        hint: `${info.count.toLocaleString('en-US')} bytes differ in ${info.ranges} ranges, first at ${formatAddress(info.firstAddress)}. Open the diff below for the diagnosis.`,
        isUserActionable: true,
      };
    case 'invalid-argument':
      return { title: `Invalid ${info.argument}`, hint: info.reason, isUserActionable: true };
    case 'no-device':
      return {
        title: 'No DFU device found',
        hint: 'Connect the board with BOOT0 held high and reset it so it starts in its USB bootloader.',
        isUserActionable: true,
      };
    case 'ambiguous-device':
      return { title: 'Several devices match', hint: `Choose one: ${info.candidates.join(', ')}.`, isUserActionable: true };
    case 'board-mismatch':
      return {
        title: 'This board is not the kind being flashed',
        hint: `${capitalise(info.reason)}. This run flashes ${info.expected}; this board is ${info.actual}.`,
        isUserActionable: true,
      };
    case 'access-denied':
      return { title: 'No permission to open the USB device', hint: accessDeniedHint(info.platform), isUserActionable: true };
    case 'busy':
      return { title: 'The device is busy', hint: `${capitalise(info.reason)}. Wait for it to finish or cancel it.`, isUserActionable: true };
    case 'cancelled':
      return {
        title: 'Cancelled',
        hint: `Stopped during ${info.during}. The flash may be partly written; flash again before using the board.`,
        isUserActionable: true,
      };
    case 'device-gone':
      return {
        title: 'The device was disconnected',
        hint: `It went away during ${info.during}. Reconnect it in DFU mode and flash again; a partly written chip is safe to re-flash.`,
        isUserActionable: true,
      };
    case 'output-file':
      return {
        title: 'The file could not be saved',
        hint: `${capitalise(outputProblemText(info))}. Nothing was saved under ${info.path}; choose another place and save again.`,
        isUserActionable: true,
      };
    case 'internal':
      return { title: 'Something went wrong inside DFU Desk', hint: REPORT_HINT, isUserActionable: false };
  }
}

// The full fix (every bootloader id, the commands, the Zadig steps) is rendered from
// core/devices/usbAccess.ts by main (Help > USB Access and Drivers) and the CLI. The renderer may not
// import that module at run time, so it gives a short pointer; the facts it names are typed as the
// literals the source exports, so changing one there fails `tsc -b` here until this copy follows.
const rulesFile: typeof UDEV_RULES_FILE_NAME = '50-dfu-desk.rules';
const rulesDir: typeof UDEV_RULES_DIR = '/etc/udev/rules.d';
const reloadCommand: typeof UDEV_RELOAD_COMMAND = 'sudo udevadm control --reload-rules';
const helpMenu: typeof USB_HELP_MENU_PATH = 'Help > USB Access and Drivers';

/** The fix for 'access-denied', per operating system (Node's process.platform names). */
export function accessDeniedHint(platform: string): string {
  if (platform === 'linux') {
    return `Linux needs the udev rule ${rulesFile} so your user may open the DFU bootloader. The .deb installs it; otherwise copy it to ${rulesDir}/ (${helpMenu} shows how), run "${reloadCommand}", then unplug and replug the board.`;
  }
  if (platform === 'win32') {
    return `Windows needs a driver for the DFU bootloader: with Zadig, bind WinUSB to it (${helpMenu} names the device), then unplug and replug the board.`;
  }
  if (platform === 'darwin') {
    return 'macOS needs no driver. Another program (STM32CubeProgrammer, dfu-util) may hold the device: close it and replug the board.';
  }
  return 'Your user may not have access to USB devices. Check the system permissions, then replug the board.';
}

export const dfuModeSteps: readonly string[] = [
  'Hold BOOT0 high (jumper or button) while the board resets or powers up.',
  'Connect USB: the chip starts its built-in bootloader and appears here as "STM32 BOOTLOADER" (0483:DF11).',
  'Release BOOT0 after flashing and reset to run your firmware.',
];

export const phaseLabels: Record<Phase, string> = {
  connect: 'Connect',
  read: 'Read',
  erase: 'Erase',
  write: 'Write',
  verify: 'Verify',
  leave: 'Start app',
  'option-bytes': 'Option bytes',
};

export const jobLabels: Record<JobKind, { running: string; done: string }> = {
  program: { running: 'Flashing', done: 'Flashed' },
  verify: { running: 'Verifying', done: 'Verified' },
  read: { running: 'Reading', done: 'Read back' },
  erase: { running: 'Erasing', done: 'Erased' },
  'option-bytes-read': { running: 'Reading option bytes', done: 'Option bytes read' },
  'option-bytes-write': { running: 'Writing option bytes', done: 'Option bytes written' },
  'read-unprotect': { running: 'Removing read protection', done: 'Read protection removed' },
  leave: { running: 'Starting the application', done: 'Application started' },
};

export const RDP2_PHRASE = 'lock this chip forever';

/** What a job that changed read protection leaves behind, said once, plainly. */
export const readProtectionEndings = {
  0: 'Read protection is now off (level 0). The flash was erased; the chip is blank and can be flashed and read again.',
  1: 'The chip is now read-protected (level 1): its flash can no longer be read or verified over DFU or a debugger. Flashing it again first needs "Remove read protection", which erases the whole flash.',
  2: 'The chip is now permanently locked (level 2): debug and the DFU bootloader are disabled for good. It will not appear as a DFU device again; that is expected, not a fault.',
} as const;

export const texts = {
  rdp2Explanation:
    'RDP level 2 disables the debug port and the USB bootloader for good. The chip can never be read, erased or re-flashed again, by anyone. It cannot be undone.',
  readUnprotectExplanation:
    'Removing read protection (RDP level 1 to 0) makes the chip erase its entire flash, then reset. Your firmware and any data on the chip are lost.',
  massEraseExplanation: 'Mass erase wipes the whole flash, including anything the image does not cover.',
  noEraseExplanation:
    'Without erasing, flash that already holds data is not rewritten correctly (STM32L0/L1 silently keep the old data). Use only on a blank chip.',
};

function formatName(format: string): string {
  const names: Record<string, string> = {
    'intel-hex': 'Intel HEX',
    srec: 'S-record',
    elf: 'ELF',
    dfuse: '.dfu',
    binary: 'binary',
    'binary-dfu-suffix': 'binary',
  };
  return names[format] ?? format;
}

export function formatImageFormat(format: string): string {
  return formatName(format);
}

export function capitalise(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}

// Sizes, durations, rates, CRCs and USB ids: the one format module core/format.ts, shared with the
// CLI and the reports (formatBytes is its exact byte count, "66,748 B").
export { formatBcd, formatByteCount as formatBytes, formatCrc, formatDuration, formatRate, formatUsbId, pluralise } from '../core/format.js';

export function formatTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
