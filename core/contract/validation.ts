// Argument validation for every Programmer method, used where arguments arrive from an untrusted
// side: electron/main/ipc.ts (the renderer) and the browser test host (a WebSocket). Each method's
// arguments are parsed by the schemas in requests.ts, which build fresh typed values, so nothing
// the caller sent (extra keys, prototypes, getters) reaches the service. Failures are DfuError
// 'invalid-argument' naming the argument path. The mapped type below makes a missing validator a
// compile error.
import * as v from 'valibot';
import { DfuError } from '../errors.js';
import type { Programmer, ProgrammerMethod } from './programmer.js';
import {
  eraseRequestSchema,
  imageSaveFormatSchema,
  imageSourceSchema,
  optionBytesWriteSchema,
  optionChangesSchema,
  programOptionsSchema,
  programRequestSchema,
  readRequestSchema,
  saveFormatSchema,
  settingsPatchSchema,
  storedSettingsSchema,
  unprotectConfirmationSchema,
  verifyWindowSchema,
} from './requests.js';

export { FILE_TOKEN_PATTERN, MAX_FLASH_SIZE_LIMITS, MAX_IMAGE_BYTES, MAX_READ_BYTES, MAX_RECENT_FILES } from './requests.js';
export type { StoredSettings } from './requests.js';

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

/** "request.options.erase", "patch.flashSizeLimits[\"0483:df11:...\"]", "request.confirmed[0]". */
function pathOf(root: string, issue: v.BaseIssue<unknown>): string {
  let path = root;
  for (const item of issue.path ?? []) {
    const key: unknown = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

function reasonOf(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === 'never') return 'unknown field';
  if (issue.received === 'undefined' && issue.kind === 'schema') return 'missing';
  return issue.message;
}

/** Parses one argument; the first problem becomes an 'invalid-argument' naming its path. */
function parse<T extends v.GenericSchema>(schema: T, value: unknown, root: string): v.InferOutput<T> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw invalid(pathOf(root, issue), reasonOf(issue));
}

function one<T extends v.GenericSchema>(schema: T, root: string) {
  return (args: readonly unknown[]): [v.InferOutput<T>] => {
    expectArgumentCount(args, 1, 1);
    return [parse(schema, args[0], root)];
  };
}

const none = (args: readonly unknown[]): [] => {
  expectArgumentCount(args, 0, 0);
  return [];
};

const deviceIdSchema = v.pipe(v.string('expected a string'), v.nonEmpty('must not be empty'), v.maxLength(200, 'longer than 200 characters'));
const leaveAddressSchema = v.pipe(v.number('expected an integer'), v.integer('expected an integer'), v.minValue(0, 'must be between 0 and 4294967295'), v.maxValue(0xffff_ffff, 'must be between 0 and 4294967295'));

export const argumentValidators: Validators = {
  getSnapshot: none,
  listDevices: none,
  connect: one(deviceIdSchema, 'deviceId'),
  disconnect: none,
  openImage: one(imageSourceSchema, 'source'),
  reloadImage: none,
  planProgram: one(programOptionsSchema, 'options'),
  program: one(programRequestSchema, 'request'),
  verify: none,
  readVerifyBytes: one(verifyWindowSchema, 'range'),
  readMemory: one(readRequestSchema, 'request'),
  saveReadBack: one(saveFormatSchema, 'format'),
  saveImageAs: one(imageSaveFormatSchema, 'format'),
  erase: one(eraseRequestSchema, 'request'),
  readOptionBytes: none,
  planOptionBytesWrite: one(optionChangesSchema, 'changes'),
  writeOptionBytes: one(optionBytesWriteSchema, 'request'),
  readUnprotect: (args) => {
    expectArgumentCount(args, 1, 1);
    const result = v.safeParse(unprotectConfirmationSchema, args[0]);
    if (!result.success) {
      throw new DfuError({ kind: 'confirmation-required', action: 'read-unprotect', reason: 'removing read protection mass-erases the whole flash; pass { eraseAllFlash: true }' });
    }
    return [result.output];
  },
  leave: (args) => {
    expectArgumentCount(args, 0, 1);
    return args[0] === undefined ? [] : [parse(leaveAddressSchema, args[0], 'address')];
  },
  cancel: none,
  getLog: none,
  exportLog: none,
  saveReport: none,
  updateSettings: one(settingsPatchSchema, 'patch'),
};

/** Validates `args` for `method`; throws DfuError 'invalid-argument' (or 'confirmation-required'). */
export function validateArguments<M extends ProgrammerMethod>(method: M, args: readonly unknown[]): Parameters<Programmer[M]> {
  if (!Object.prototype.hasOwnProperty.call(argumentValidators, method)) throw invalid('method', 'unknown method');
  const validator = argumentValidators[method] as (args: readonly unknown[]) => Parameters<Programmer[M]>;
  return validator(args);
}

/** Fields of the settings file, validated like updateSettings plus recentFiles; throws DfuError. */
export function validateStoredSettings(stored: unknown): v.InferOutput<typeof storedSettingsSchema> {
  return parse(storedSettingsSchema, stored, 'settings');
}

/** A path handed to main by the preload for a dropped file: absolute, no NUL, of sane length. */
export function validateDroppedPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\0')) throw invalid('path', 'expected the path of a dropped file');
  if (!path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path) && !path.startsWith('\\\\')) throw invalid('path', 'expected an absolute path');
  return path;
}
