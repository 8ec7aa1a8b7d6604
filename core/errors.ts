import { formatAddress } from './format.js';

/**
 * The explicit confirmations the write policy asks for (core/jobs/confirmations.ts has their words,
 * CLI flags and app dialogs). Defined here because errors name them and errors.ts is a leaf.
 */
export type ConfirmationKind = 'permanent-lock' | 'read-unprotect' | 'write-option-bytes' | 'write-otp' | 'file-for-other-device' | 'option-lockout';

/**
 * Every failure DFU Desk reports is one of these plain, cloneable records. They cross IPC
 * unchanged and are turned into user text late (renderer/text.ts) or into log text (describe()).
 * Addresses stay numbers.
 */
export type DfuErrorInfo =
  | { kind: 'transport'; during: string; detail?: string }
  | { kind: 'device-status'; status: number; state: number; during: string }
  | { kind: 'unexpected-state'; expected: number[]; actual: number; during: string }
  | { kind: 'timeout'; during: string; waitedMs: number }
  | { kind: 'not-writable'; address: number; region?: string; detail?: string }
  | { kind: 'not-erasable'; address: number; region?: string }
  | { kind: 'image-too-large'; imageEnd: number; regionEnd: number; region: string }
  | { kind: 'read-protected'; during: string }
  /**
   * `couldBeRawBinary`: binary content under a name that names no format, refused only because nobody
   * said it is a raw binary (the CLI's --format bin; the app asks for a base address and opens it so).
   * `fileToken`: in the app, the token that opens that file again (contract FileGrant), when main
   * picked it in its own dialog, so the window can open it as a raw binary.
   */
  | { kind: 'image-format'; format: string; reason: string; file?: string; line?: number; offset?: number; couldBeRawBinary?: true; fileToken?: string }
  | { kind: 'layout-format'; input: string; position: number; reason: string }
  | { kind: 'option-bytes'; field?: string; reason: string }
  | { kind: 'confirmation-required'; action: ConfirmationKind; reason: string }
  | { kind: 'board-mismatch'; expected: string; actual: string; reason: string }
  | { kind: 'verify-mismatch'; firstAddress: number; count: number; ranges: number }
  | { kind: 'invalid-argument'; argument: string; reason: string }
  | { kind: 'no-device'; selector?: string }
  | { kind: 'ambiguous-device'; selector?: string; candidates: string[] }
  | { kind: 'access-denied'; platform: string; detail?: string }
  | { kind: 'busy'; reason: string }
  | { kind: 'cancelled'; during: string }
  | { kind: 'device-gone'; during: string }
  | { kind: 'output-file'; path: string; folder: string; problem: OutputProblem; detail?: string }
  | { kind: 'internal'; message: string };

/**
 * Why an output file (a read-back, a report, a log, the settings) cannot be written. Found before
 * the device is touched where possible (node/outputFile.ts); a write that fails half-way leaves no
 * file under the final name.
 */
export type OutputProblem = 'no-folder' | 'not-a-folder' | 'is-folder' | 'not-writable' | 'disk-full' | 'write-failed';

export type DfuErrorKind = DfuErrorInfo['kind'];

export class DfuError extends Error {
  readonly info: DfuErrorInfo;

  constructor(info: DfuErrorInfo, options?: { cause?: unknown }) {
    super(describe(info), options);
    this.name = 'DfuError';
    this.info = info;
  }
}

export function isDfuError(error: unknown, kind?: DfuErrorKind): error is DfuError {
  return error instanceof DfuError && (kind === undefined || error.info.kind === kind);
}

/** Wraps anything that is not a DfuError as an internal error, keeping the original as cause. */
export function toDfuError(error: unknown): DfuError {
  if (error instanceof DfuError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DfuError({ kind: 'internal', message }, { cause: error });
}

// DFU 1.1 §6.1.2 status names, repeated here (not imported from dfu/spec.ts) so errors.ts stays a leaf.
const statusNames = [
  'OK', 'errTARGET', 'errFILE', 'errWRITE', 'errERASE', 'errCHECK_ERASED', 'errPROG', 'errVERIFY',
  'errADDRESS', 'errNOTDONE', 'errFIRMWARE', 'errVENDOR', 'errUSBR', 'errPOR', 'errUNKNOWN',
  'errSTALLEDPKT',
];
const stateNames = [
  'appIDLE', 'appDETACH', 'dfuIDLE', 'dfuDNLOAD-SYNC', 'dfuDNBUSY', 'dfuDNLOAD-IDLE',
  'dfuMANIFEST-SYNC', 'dfuMANIFEST', 'dfuMANIFEST-WAIT-RESET', 'dfuUPLOAD-IDLE', 'dfuERROR',
];

export function statusName(status: number): string {
  return statusNames[status] ?? `status ${status}`;
}

export function stateName(state: number): string {
  return stateNames[state] ?? `state ${state}`;
}

/** One-line log text for an error. User-facing copy lives in the renderer and CLI, not here. */
export function describe(info: DfuErrorInfo): string {
  switch (info.kind) {
    case 'transport':
      return `USB transfer failed during ${info.during}${info.detail ? `: ${info.detail}` : ''}`;
    case 'device-status':
      return `device reported ${statusName(info.status)} (${stateName(info.state)}) during ${info.during}`;
    case 'unexpected-state':
      return `device in ${stateName(info.actual)} during ${info.during}, expected ${info.expected.map(stateName).join(' or ')}`;
    case 'timeout':
      return `device still busy after ${info.waitedMs} ms during ${info.during}`;
    case 'not-writable':
      return `${formatAddress(info.address)} is not writable${info.region ? ` in ${info.region}` : ''}${info.detail ? `: ${info.detail}` : ''}`;
    case 'not-erasable':
      return `${formatAddress(info.address)} is not erasable${info.region ? ` in ${info.region}` : ''}`;
    case 'image-too-large':
      return `image ends at ${formatAddress(info.imageEnd)} but ${info.region} ends at ${formatAddress(info.regionEnd)}`;
    case 'read-protected':
      return `device is read-protected (RDP level 1) during ${info.during}`;
    case 'image-format': {
      const where = [
        info.file,
        info.line !== undefined ? `line ${info.line}` : undefined,
        info.offset !== undefined ? `offset ${info.offset}` : undefined,
      ].filter((part) => part !== undefined);
      return `${info.format}: ${where.length ? `${where.join(', ')}: ` : ''}${info.reason}`;
    }
    case 'layout-format':
      return `memory layout, position ${info.position}: ${info.reason}`;
    case 'option-bytes':
      return `option bytes${info.field ? ` (${info.field})` : ''}: ${info.reason}`;
    case 'confirmation-required':
      return `${info.action} needs explicit confirmation: ${info.reason}`;
    case 'board-mismatch':
      return `board refused: ${info.reason} (expected ${info.expected}; this board is ${info.actual})`;
    case 'verify-mismatch':
      return `verification failed: ${info.count} bytes differ in ${info.ranges} ranges, first at ${formatAddress(info.firstAddress)}`;
    case 'invalid-argument':
      return `invalid ${info.argument}: ${info.reason}`;
    case 'no-device':
      return info.selector ? `no DFU device matches ${info.selector}` : 'no DFU device found';
    case 'ambiguous-device':
      return `${info.candidates.length} DFU devices match${info.selector ? ` ${info.selector}` : ''}: ${info.candidates.join(', ')}`;
    case 'access-denied':
      return `no permission to open the USB device (${info.platform})${info.detail ? `: ${info.detail}` : ''}`;
    case 'busy':
      return `busy: ${info.reason}`;
    case 'cancelled':
      return `cancelled during ${info.during}`;
    case 'device-gone':
      return `device disconnected during ${info.during}`;
    case 'output-file':
      return `cannot write ${info.path}: ${outputProblemText(info)}`;
    case 'internal':
      return `internal error: ${info.message}`;
  }
}

/** What went wrong with an output file, in words: "the folder /x does not exist". */
export function outputProblemText(info: Extract<DfuErrorInfo, { kind: 'output-file' }>): string {
  const detail = info.detail ? ` (${info.detail})` : '';
  switch (info.problem) {
    case 'no-folder':
      return `the folder ${info.folder} does not exist`;
    case 'not-a-folder':
      return `${info.folder} is not a folder`;
    case 'is-folder':
      return 'that is a folder; give a file name';
    case 'not-writable':
      return `no permission to write there${detail}`;
    case 'disk-full':
      return `no space left for it (disk full or over a file-size limit)${detail}`;
    case 'write-failed':
      return `the write failed${detail}`;
  }
}
