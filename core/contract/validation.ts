// Argument validation for every Programmer method, used where arguments arrive from an untrusted
// side: electron/main/ipc.ts (the renderer) and the browser test host (a WebSocket). Each validator
// takes the raw argument list and returns a freshly built, typed tuple, so nothing the caller sent
// (extra keys, prototypes, getters) reaches the service. Failures are DfuError 'invalid-argument'
// naming the argument. The mapped type below makes a missing validator a compile error.

import { BOOTLOADER_KEY_PATTERN } from '../dfuse/bootloaderKey.js';
import { DfuError, type ConfirmationKind } from '../errors.js';
import { MAX_VERIFY_WINDOW_BYTES } from './programmer.js';
import type {
  AddressRange,
  EraseRequest,
  ImageSource,
  OptionBytesWrite,
  Programmer,
  ProgrammerMethod,
  ProgramOptions,
  ProgramRequest,
  ReadRequest,
  SaveFormat,
  Settings,
} from './programmer.js';

/** Largest firmware file or dropped byte buffer main accepts (ELF files with debug info included). */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** Largest single read-back; the biggest STM32 flash is 4 MiB, so this is generous. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;
export const MAX_RECENT_FILES = 10;
/** Saved flash-size limits: one per kind of board a user works with, so a few dozen at most. */
export const MAX_FLASH_SIZE_LIMITS = 64;
const MAX_TEXT_LENGTH = 4096;
const ADDRESS_LIMIT = 0x1_0000_0000;

type Validators = { readonly [K in ProgrammerMethod]: (args: readonly unknown[]) => Parameters<Programmer[K]> };

function invalid(argument: string, reason: string): DfuError {
  return new DfuError({ kind: 'invalid-argument', argument, reason });
}

function expectArgumentCount(args: readonly unknown[], min: number, max: number): void {
  // Trailing undefined values are what an optional parameter looks like after structured clone.
  let count = args.length;
  while (count > min && args[count - 1] === undefined) count -= 1;
  if (count < min || count > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw invalid('arguments', `expected ${expected} arguments, got ${args.length}`);
  }
}

type PlainObject = Readonly<Record<string, unknown>>;

/** A plain object whose keys are all in `allowedKeys` (any keys when it is omitted). */
function expectObject(value: unknown, argument: string, allowedKeys?: readonly string[]): PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw invalid(argument, 'expected an object');
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw invalid(argument, 'expected a plain object');
  for (const key of Object.keys(value)) {
    if (allowedKeys && !allowedKeys.includes(key)) throw invalid(`${argument}.${key}`, 'unknown field');
  }
  return value as PlainObject;
}

function expectBoolean(value: unknown, argument: string): boolean {
  if (typeof value !== 'boolean') throw invalid(argument, 'expected true or false');
  return value;
}

function optionalBoolean(value: unknown, argument: string): boolean | undefined {
  return value === undefined ? undefined : expectBoolean(value, argument);
}

function expectText(value: unknown, argument: string, maxLength = MAX_TEXT_LENGTH): string {
  if (typeof value !== 'string') throw invalid(argument, 'expected a string');
  if (value.length === 0) throw invalid(argument, 'must not be empty');
  if (value.length > maxLength) throw invalid(argument, `longer than ${maxLength} characters`);
  if (value.includes('\0')) throw invalid(argument, 'contains a NUL character');
  return value;
}

function expectInteger(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(argument, 'expected an integer');
  if (value < min || value > max) throw invalid(argument, `must be between ${min} and ${max}`);
  return value;
}

function expectAddress(value: unknown, argument: string): number {
  return expectInteger(value, argument, 0, ADDRESS_LIMIT - 1);
}

function expectAlternate(value: unknown, argument: string): number {
  // bAlternateSetting is one byte (USB 2.0 §9.6.5).
  return expectInteger(value, argument, 0, 255);
}

function expectLength(value: unknown, argument: string, start: number, max: number): number {
  const length = expectInteger(value, argument, 1, max);
  if (start + length > ADDRESS_LIMIT) throw invalid(argument, 'range runs past the end of the 32-bit address space');
  return length;
}

// A size, not an address: at least 1 KiB (the flash-size register counts KiB) and within 32 bits.
function expectFlashSize(value: unknown, argument: string): number {
  return expectInteger(value, argument, 1024, ADDRESS_LIMIT);
}

const eraseModes: readonly ProgramOptions['erase'][] = ['touched', 'mass', 'none'];
const programOptionKeys = ['erase', 'differential', 'preserve', 'verify', 'skipErasedChunks', 'leave', 'massEraseWhenFaster', 'flashSizeBytes'] as const;

export function validateProgramOptions(value: unknown, argument = 'options'): ProgramOptions {
  const input = expectObject(value, argument, programOptionKeys);
  const erase = input.erase;
  if (!eraseModes.includes(erase as ProgramOptions['erase'])) {
    throw invalid(`${argument}.erase`, `expected one of ${eraseModes.join(', ')}`);
  }
  const options: ProgramOptions = {
    erase: erase as ProgramOptions['erase'],
    verify: expectBoolean(input.verify, `${argument}.verify`),
  };
  const flags: Record<string, boolean> = {};
  for (const key of ['differential', 'preserve', 'skipErasedChunks', 'leave', 'massEraseWhenFaster'] as const) {
    const flag = optionalBoolean(input[key], `${argument}.${key}`);
    if (flag !== undefined) flags[key] = flag;
  }
  const flashSizeBytes = input.flashSizeBytes === undefined ? undefined : expectFlashSize(input.flashSizeBytes, `${argument}.flashSizeBytes`);
  return { ...options, ...flags, ...(flashSizeBytes !== undefined ? { flashSizeBytes } : {}) };
}

const confirmationKinds: readonly ConfirmationKind[] = ['permanent-lock', 'read-unprotect', 'write-option-bytes', 'write-otp', 'file-for-other-device'];

function validateConfirmed(value: unknown, argument: string): ConfirmationKind[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > confirmationKinds.length) throw invalid(argument, `expected a list of at most ${confirmationKinds.length} confirmations`);
  return value.map((kind: unknown, index) => {
    if (!confirmationKinds.includes(kind as ConfirmationKind)) throw invalid(`${argument}[${index}]`, `expected one of ${confirmationKinds.join(', ')}`);
    return kind as ConfirmationKind;
  });
}

function validateProgramRequest(value: unknown): ProgramRequest {
  const input = expectObject(value, 'request', ['options', 'confirmed']);
  const options = validateProgramOptions(input.options, 'request.options');
  const confirmed = validateConfirmed(input.confirmed, 'request.confirmed');
  return confirmed === undefined ? { options } : { options, confirmed };
}

function validateImageSource(value: unknown): ImageSource {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'dialog') {
    expectObject(value, 'source', ['kind']);
    return { kind: 'dialog' };
  }
  if (kind === 'path') {
    const input = expectObject(value, 'source', ['kind', 'path', 'baseAddress']);
    const path = expectText(input.path, 'source.path');
    return input.baseAddress === undefined
      ? { kind: 'path', path }
      : { kind: 'path', path, baseAddress: expectAddress(input.baseAddress, 'source.baseAddress') };
  }
  if (kind === 'bytes') {
    const input = expectObject(value, 'source', ['kind', 'fileName', 'bytes', 'baseAddress']);
    const fileName = expectText(input.fileName, 'source.fileName', 255);
    if (!(input.bytes instanceof Uint8Array)) throw invalid('source.bytes', 'expected a Uint8Array');
    if (input.bytes.length > MAX_IMAGE_BYTES) throw invalid('source.bytes', `larger than ${MAX_IMAGE_BYTES} bytes`);
    // A copy: the caller's buffer may be shared or later reused.
    const bytes = new Uint8Array(input.bytes);
    return input.baseAddress === undefined
      ? { kind: 'bytes', fileName, bytes }
      : { kind: 'bytes', fileName, bytes, baseAddress: expectAddress(input.baseAddress, 'source.baseAddress') };
  }
  throw invalid('source.kind', "expected 'dialog', 'path' or 'bytes'");
}

function validateReadRequest(value: unknown): ReadRequest {
  const input = expectObject(value, 'request', ['alternate', 'start', 'length']);
  const start = expectAddress(input.start, 'request.start');
  return {
    alternate: expectAlternate(input.alternate, 'request.alternate'),
    start,
    length: expectLength(input.length, 'request.length', start, MAX_READ_BYTES),
  };
}

function validateVerifyWindow(value: unknown): AddressRange {
  const input = expectObject(value, 'range', ['start', 'end']);
  const start = expectAddress(input.start, 'range.start');
  const end = expectInteger(input.end, 'range.end', 0, ADDRESS_LIMIT);
  if (end <= start) throw invalid('range.end', 'must be after range.start');
  if (end - start > MAX_VERIFY_WINDOW_BYTES) throw invalid('range', `longer than ${MAX_VERIFY_WINDOW_BYTES} bytes`);
  return { start, end };
}

function validateEraseRequest(value: unknown): EraseRequest {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'mass') {
    const input = expectObject(value, 'request', ['kind', 'alternate']);
    return input.alternate === undefined
      ? { kind: 'mass' }
      : { kind: 'mass', alternate: expectAlternate(input.alternate, 'request.alternate') };
  }
  if (kind === 'range') {
    const input = expectObject(value, 'request', ['kind', 'alternate', 'start', 'length']);
    const start = expectAddress(input.start, 'request.start');
    return {
      kind: 'range',
      alternate: expectAlternate(input.alternate, 'request.alternate'),
      start,
      length: expectLength(input.length, 'request.length', start, ADDRESS_LIMIT - start),
    };
  }
  throw invalid('request.kind', "expected 'mass' or 'range'");
}

const saveFormats: readonly SaveFormat[] = ['hex', 'bin', 'dfu'];

function validateSaveFormat(value: unknown): SaveFormat {
  if (!saveFormats.includes(value as SaveFormat)) throw invalid('format', `expected one of ${saveFormats.join(', ')}`);
  return value as SaveFormat;
}

// Option-byte field ids are short identifiers from core/dfuse/optionBytes.ts ("RDP", "nBOOT0");
// anything else (including "__proto__") is refused before it becomes an object key.
const fieldIdPattern = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function validateOptionChanges(value: unknown, argument: string): Record<string, number> {
  const changesInput = expectObject(value, argument);
  const changes: Record<string, number> = {};
  for (const [field, fieldValue] of Object.entries(changesInput)) {
    if (!fieldIdPattern.test(field)) throw invalid(argument, `"${field.slice(0, 64)}" is not a field id`);
    changes[field] = expectInteger(fieldValue, `${argument}.${field}`, 0, ADDRESS_LIMIT - 1);
  }
  return changes;
}

function validateOptionBytesWrite(value: unknown): OptionBytesWrite {
  const input = expectObject(value, 'request', ['changes', 'confirmed']);
  const changes = validateOptionChanges(input.changes, 'request.changes');
  const confirmed = validateConfirmed(input.confirmed, 'request.confirmed');
  return confirmed === undefined ? { changes } : { changes, confirmed };
}

function validateUnprotectConfirmation(value: unknown): { readonly eraseAllFlash: true } {
  const input = expectObject(value, 'confirmation', ['eraseAllFlash']);
  if (input.eraseAllFlash !== true) {
    throw new DfuError({
      kind: 'confirmation-required',
      action: 'read-unprotect',
      reason: 'removing read protection mass-erases the whole flash; pass { eraseAllFlash: true }',
    });
  }
  return { eraseAllFlash: true };
}

function validateFlashSizeLimits(value: unknown): Record<string, number> {
  const input = expectObject(value, 'patch.flashSizeLimits');
  const entries = Object.entries(input);
  if (entries.length > MAX_FLASH_SIZE_LIMITS) throw invalid('patch.flashSizeLimits', `more than ${MAX_FLASH_SIZE_LIMITS} entries`);
  const limits: Record<string, number> = {};
  for (const [key, size] of entries) {
    const argument = `patch.flashSizeLimits[${JSON.stringify(key)}]`;
    // The pattern also keeps out "__proto__" and friends: a key starts with hex digits.
    if (!BOOTLOADER_KEY_PATTERN.test(expectText(key, argument))) throw invalid(argument, 'expected a bootloader key "vvvv:pppp:dddd:<alt-0 string>"');
    limits[key] = expectFlashSize(size, argument);
  }
  return limits;
}

function validateSettingsPatch(value: unknown): Partial<Settings> {
  const input = expectObject(value, 'patch', ['showSimulatedDevices', 'recentFiles', 'flashOnConnect', 'programOptions', 'flashSizeLimits']);
  const patch: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  const showSimulatedDevices = optionalBoolean(input.showSimulatedDevices, 'patch.showSimulatedDevices');
  if (showSimulatedDevices !== undefined) patch.showSimulatedDevices = showSimulatedDevices;
  const flashOnConnect = optionalBoolean(input.flashOnConnect, 'patch.flashOnConnect');
  if (flashOnConnect !== undefined) patch.flashOnConnect = flashOnConnect;
  if (input.recentFiles !== undefined) {
    if (!Array.isArray(input.recentFiles)) throw invalid('patch.recentFiles', 'expected a list of paths');
    if (input.recentFiles.length > MAX_RECENT_FILES) throw invalid('patch.recentFiles', `more than ${MAX_RECENT_FILES} entries`);
    patch.recentFiles = input.recentFiles.map((path: unknown, index) => expectText(path, `patch.recentFiles[${index}]`));
  }
  if (input.programOptions !== undefined) {
    // The limit is saved per bootloader (flashSizeLimits); in the options it would follow the user
    // to the next, unrelated device.
    if (expectObject(input.programOptions, 'patch.programOptions').flashSizeBytes !== undefined) {
      throw invalid('patch.programOptions.flashSizeBytes', 'a flash size is saved per bootloader, in flashSizeLimits');
    }
    patch.programOptions = validateProgramOptions(input.programOptions, 'patch.programOptions');
  }
  if (input.flashSizeLimits !== undefined) patch.flashSizeLimits = validateFlashSizeLimits(input.flashSizeLimits);
  return patch;
}

const none = (args: readonly unknown[]): [] => {
  expectArgumentCount(args, 0, 0);
  return [];
};

export const argumentValidators: Validators = {
  getSnapshot: none,
  listDevices: none,
  connect: (args) => {
    expectArgumentCount(args, 1, 1);
    return [expectText(args[0], 'deviceId', 200)];
  },
  disconnect: none,
  openImage: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateImageSource(args[0])];
  },
  reloadImage: none,
  planProgram: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateProgramOptions(args[0])];
  },
  program: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateProgramRequest(args[0])];
  },
  verify: none,
  readVerifyBytes: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateVerifyWindow(args[0])];
  },
  readMemory: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateReadRequest(args[0])];
  },
  saveReadBack: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateSaveFormat(args[0])];
  },
  erase: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateEraseRequest(args[0])];
  },
  readOptionBytes: none,
  planOptionBytesWrite: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateOptionChanges(args[0], 'changes')];
  },
  writeOptionBytes: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateOptionBytesWrite(args[0])];
  },
  readUnprotect: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateUnprotectConfirmation(args[0])];
  },
  leave: (args) => {
    expectArgumentCount(args, 0, 1);
    return args[0] === undefined ? [] : [expectAddress(args[0], 'address')];
  },
  cancel: none,
  getLog: none,
  exportLog: none,
  saveReport: none,
  updateSettings: (args) => {
    expectArgumentCount(args, 1, 1);
    return [validateSettingsPatch(args[0])];
  },
};

/** Validates `args` for `method`; throws DfuError 'invalid-argument' (or 'confirmation-required'). */
export function validateArguments<M extends ProgrammerMethod>(method: M, args: readonly unknown[]): Parameters<Programmer[M]> {
  if (!Object.prototype.hasOwnProperty.call(argumentValidators, method)) throw invalid('method', 'unknown method');
  const validator = argumentValidators[method] as (args: readonly unknown[]) => Parameters<Programmer[M]>;
  return validator(args);
}
