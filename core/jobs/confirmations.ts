// The write policy's confirmations, as data. A job lists the confirmations it needs before it
// touches the device (prepareFlash, prepareOptionBytesWrite, ...); a front end asks the user for
// each one (the CLI with a flag, the app with a dialog) and passes the kinds it got back; the job
// refuses to start while one is missing, and the session checks the irreversible ones again. The
// table `writePolicy` is what README.md and docs/engine.md show.
import { massEraseSupport } from '../devices/stm32.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import { DfuError, type ConfirmationKind } from '../errors.js';
import type { DeviceInfo } from '../usb/descriptors.js';

export type { ConfirmationKind } from '../errors.js';

export interface Confirmation {
  readonly kind: ConfirmationKind;
  /** A short title for the dialog or the plan: "Write OTP memory". */
  readonly title: string;
  /** What happens, in this case: "writes 528 bytes into OTP Memory at 0x1FFF7800; ...". */
  readonly consequence: string;
  /** True when nothing the user can do afterwards undoes it. */
  readonly isIrreversible: boolean;
  /** The command-line flag that gives this confirmation. */
  readonly cliFlag: string;
}

interface ConfirmationSpec {
  readonly title: string;
  readonly isIrreversible: boolean;
  readonly cliFlag: string;
}

const SPECS: Readonly<Record<ConfirmationKind, ConfirmationSpec>> = {
  'permanent-lock': { title: 'Lock the chip for good (read protection level 2)', isIrreversible: true, cliFlag: '--permanently-lock-chip' },
  'read-unprotect': { title: 'Remove read protection (erases all flash)', isIrreversible: false, cliFlag: '--yes' },
  'write-option-bytes': { title: 'Write raw option bytes from the file', isIrreversible: false, cliFlag: '--write-option-bytes' },
  'write-otp': { title: 'Write one-time programmable memory', isIrreversible: true, cliFlag: '--write-otp' },
  'file-for-other-device': { title: 'Flash a .dfu file made for another USB device', isIrreversible: false, cliFlag: '--ignore-file-id' },
  'option-lockout': { title: 'Option bytes that can lock out DFU or protect flash', isIrreversible: false, cliFlag: '--accept-lockout-risk' },
};

export function confirmation(kind: ConfirmationKind, consequence: string): Confirmation {
  return { kind, consequence, ...SPECS[kind] };
}

export function cliFlagOf(kind: ConfirmationKind): string {
  return SPECS[kind].cliFlag;
}

/** The required confirmations that `given` lacks, in the order they were required. */
export function missingConfirmations(required: readonly Confirmation[], given: readonly ConfirmationKind[]): Confirmation[] {
  return required.filter((c) => !given.includes(c.kind));
}

/** Throws 'confirmation-required' for the first required confirmation that was not given. */
export function checkConfirmed(required: readonly Confirmation[], given: readonly ConfirmationKind[]): void {
  const missing = missingConfirmations(required, given)[0];
  if (missing) throw new DfuError({ kind: 'confirmation-required', action: missing.kind, reason: missing.consequence });
}

/** One row of the write policy: README.md and docs/engine.md print this table (a test keeps them equal). */
export interface PolicyRow {
  readonly operation: string;
  readonly isIrreversible: boolean;
  readonly confirmation: ConfirmationKind | 'none';
  readonly cliFlag: string;
  readonly appDialog: string;
}

export const writePolicy: readonly PolicyRow[] = [
  { operation: 'Firmware into flash, data EEPROM or other firmware memory', isIrreversible: false, confirmation: 'none', cliFlag: '-', appDialog: 'none; a plan that erases data outside the image asks first, after reading it (blank bytes are not asked about)' },
  { operation: 'Mass erase (main flash only)', isIrreversible: false, confirmation: 'none', cliFlag: '`--erase mass`, `erase --mass`', appDialog: '"Erase the whole flash?"' },
  { operation: 'Option bytes changed field by field', isIrreversible: false, confirmation: 'none', cliFlag: '`options --set`', appDialog: '"Write option bytes?"' },
  { operation: 'Option bytes that can cut off the DFU bootloader or protect flash (boot path, BOOT_ADD1, write protection, PCROP, SPRMOD, WPRMOD)', isIrreversible: false, confirmation: 'option-lockout', cliFlag: '`--accept-lockout-risk`', appDialog: 'the consequence, with a checkbox' },
  { operation: 'Raw option-byte block from a file', isIrreversible: false, confirmation: 'write-option-bytes', cliFlag: '`--write-option-bytes`', appDialog: '"Write raw option bytes from the file"' },
  { operation: 'Read protection level 2, on any path', isIrreversible: true, confirmation: 'permanent-lock', cliFlag: '`--permanently-lock-chip`', appDialog: 'typed phrase' },
  { operation: 'OTP memory', isIrreversible: true, confirmation: 'write-otp', cliFlag: '`--write-otp`', appDialog: '"Write one-time programmable memory"' },
  { operation: 'Remove read protection (mass-erases the flash)', isIrreversible: false, confirmation: 'read-unprotect', cliFlag: '`unprotect --yes`, `options --yes`', appDialog: '"Remove read protection?"' },
  { operation: '.dfu file whose USB ID is another device\'s', isIrreversible: false, confirmation: 'file-for-other-device', cliFlag: '`--ignore-file-id`', appDialog: '"Flash a .dfu file made for another USB device"' },
  { operation: 'Leave DFU mode', isIrreversible: false, confirmation: 'none', cliFlag: '`--leave`', appDialog: 'only after every phase succeeded and the verification matched' },
];

/** The policy table as Markdown (for the docs; writePolicy.test.ts checks the docs contain it). */
export function formatWritePolicy(): string {
  const lines = ['| Operation | Irreversible | Confirmation | CLI | App |', '|---|---|---|---|---|'];
  for (const row of writePolicy) {
    lines.push(`| ${row.operation} | ${row.isIrreversible ? 'yes' : 'no'} | ${row.confirmation === 'none' ? '-' : `\`${row.confirmation}\``} | ${row.cliFlag} | ${row.appDialog} |`);
  }
  return lines.join('\n');
}

/**
 * What the write policy says about one alt setting, in a line: for `dfu-desk info` and anything
 * else that shows a device's regions.
 */
export function regionPolicyText(info: DeviceInfo, alternate: number): string {
  const alt = info.alternates.find((a) => a.alternate === alternate);
  if (!alt) return '';
  const main = mainFlashOf(info);
  switch (alt.role) {
    case 'flash': {
      if (main?.alternate !== alternate) return 'flash: firmware is written here by address';
      const support = massEraseSupport(info.family);
      return `main flash: firmware is written here; a mass erase clears it (${support.support === 'known' ? `known to work: ${support.source}` : 'unverified on this bootloader'})`;
    }
    case 'eeprom':
      return 'data EEPROM: byte-writable, written without an erase';
    case 'option-bytes':
      return `option bytes: changed with \`dfu-desk options --set\`, or as one whole raw block with ${cliFlagOf('write-option-bytes')}; never by a firmware image`;
    case 'otp':
      return `one-time programmable: every write is permanent and needs ${cliFlagOf('write-otp')}`;
    case 'device-feature':
    case 'system':
      return "the bootloader's own: never written";
    case 'other':
      return 'firmware memory: written by address';
  }
}
