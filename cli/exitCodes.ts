import type { DfuErrorInfo } from '../core/errors.js';

/**
 * Process exit codes of dfu-desk. Stable: scripts on production lines branch on them, so a code
 * never changes meaning (docs/cli.md lists them). 130 follows the shell convention 128 + SIGINT.
 */
export const ExitCode = {
  ok: 0,
  /** A bug in dfu-desk (an error that is not a DfuError). Please report it. */
  internal: 1,
  /** Unknown command or option, missing or malformed argument, refused confirmation. */
  usage: 2,
  /** The firmware file cannot be used: missing, unreadable, unknown format, does not fit the device. */
  badInput: 3,
  /** No DFU device found, the selector matches several, or a board is not the kind the run was planned for. */
  noDevice: 4,
  /** The device or USB failed: error status, timeout, disconnect, read protection. */
  deviceError: 5,
  /** Flashing or verification finished but the device content differs from the image. */
  verifyMismatch: 6,
  /** The operating system denied access to the USB device (udev rule or WinUSB driver missing). */
  accessDenied: 7,
  /** An output file (read -o, --report, --log) cannot be written: no such folder, no permission, disk full. */
  outputFile: 8,
  /** Stopped by Ctrl-C (SIGINT) at a safe point. */
  cancelled: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code an error leads to. Exhaustive over DfuErrorInfo so a new kind must be placed. */
export function exitCodeFor(info: DfuErrorInfo): ExitCodeValue {
  switch (info.kind) {
    case 'invalid-argument':
    case 'confirmation-required':
      return ExitCode.usage;
    case 'image-format':
    case 'layout-format':
    case 'not-writable':
    case 'not-erasable':
    case 'image-too-large':
      return ExitCode.badInput;
    case 'no-device':
    case 'ambiguous-device':
    case 'board-mismatch':
      return ExitCode.noDevice;
    case 'access-denied':
      return ExitCode.accessDenied;
    case 'output-file':
      return ExitCode.outputFile;
    case 'verify-mismatch':
      return ExitCode.verifyMismatch;
    case 'cancelled':
      return ExitCode.cancelled;
    case 'transport':
    case 'device-status':
    case 'unexpected-state':
    case 'timeout':
    case 'read-protected':
    case 'option-bytes':
    case 'busy':
    case 'device-gone':
      return ExitCode.deviceError;
    case 'internal':
      return ExitCode.internal;
  }
}

/**
 * The exit code of a run over several devices (--all, --watch): cancellation wins, otherwise the
 * code of the first failing device in device order, so the result does not depend on timing.
 */
export function combineExitCodes(codes: readonly ExitCodeValue[]): ExitCodeValue {
  if (codes.includes(ExitCode.cancelled)) return ExitCode.cancelled;
  return codes.find((code) => code !== ExitCode.ok) ?? ExitCode.ok;
}
