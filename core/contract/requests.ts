// What the window may send to main, as valibot schemas: every request type of the contract is
// derived from its schema here (programmer.ts re-exports them), so a field the type allows is a
// field the validator accepts (massEraseWhenFaster once was not). Imported at run time only by
// validation.ts (main and the browser test host); the renderer and the preload see the types.
//
// Why valibot: it is pure TypeScript with no runtime dependencies (core stays free of Node, DOM and
// Electron), and its functions tree-shake: the main-process bundle grows by the measured amount in
// docs/electron.md, where zod would bring its whole object model.
import * as v from 'valibot';
import { BOOTLOADER_KEY_PATTERN } from '../dfuse/bootloaderKey.js';
import type { ConfirmationKind } from '../errors.js';
import type { ProgramOptions as EngineProgramOptions } from '../dfuse/plan.js';
import { MAX_VERIFY_WINDOW_BYTES } from './programmer.js';

/** Largest firmware file or dropped byte buffer main accepts (ELF files with debug info included). */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** Largest single read-back; the biggest STM32 flash is 4 MiB, so this is generous. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;
export const MAX_RECENT_FILES = 10;
/**
 * A file token: how the window names a file the user chose (open dialog, drop, recent files). Main
 * hands tokens out (electron/main/fileGrants.ts); the window never sends a path.
 */
export const FILE_TOKEN_PATTERN = /^[0-9a-f]{32}$/;
/** Saved flash-size limits: one per kind of board a user works with, so a few dozen at most. */
export const MAX_FLASH_SIZE_LIMITS = 64;
const MAX_TEXT_LENGTH = 4096;
const ADDRESS_LIMIT = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------
// Building blocks, each with the message the user of the API sees

/** A plain object: no class instance, array or typed array (their getters and prototypes stay out). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `schema`, for plain objects only. */
function plain<T extends v.GenericSchema>(schema: T) {
  return v.pipe(v.custom<unknown>(isPlainObject, 'expected a plain object'), schema);
}

/** A plain object with exactly these keys; unknown keys are refused by name. */
function record<E extends v.ObjectEntries>(entries: E) {
  return plain(v.strictObject(entries));
}

function integer(min: number, max: number) {
  return v.pipe(
    v.number('expected an integer'),
    v.integer('expected an integer'),
    v.minValue(min, `must be between ${min} and ${max}`),
    v.maxValue(max, `must be between ${min} and ${max}`),
  );
}

function text(maxLength = MAX_TEXT_LENGTH) {
  return v.pipe(
    v.string('expected a string'),
    v.nonEmpty('must not be empty'),
    v.maxLength(maxLength, `longer than ${maxLength} characters`),
    v.check((value) => !value.includes('\0'), 'contains a NUL character'),
  );
}

const flag = v.boolean('expected true or false');
const address = integer(0, ADDRESS_LIMIT - 1);
/** bAlternateSetting is one byte (USB 2.0 §9.6.5). */
const alternate = integer(0, 255);
/** A size, not an address: at least 1 KiB (the flash-size register counts KiB) and within 32 bits. */
const flashSize = integer(1024, ADDRESS_LIMIT);

/**
 * An object whose keys match `keyPattern` and whose values match `value`, at most `maxEntries`.
 * Keys are checked one by one (own keys, "__proto__" included), so a bad key is named.
 */
function keyed<T extends v.GenericSchema<unknown, number>>(
  isKey: (key: string) => boolean,
  keyReason: string,
  value: T,
  maxEntries: number,
) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, 'expected a plain object'),
    v.check((input) => Object.keys(input).length <= maxEntries, `more than ${maxEntries} entries`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const bad = Object.keys(dataset.value).find((key) => !isKey(key));
      if (bad !== undefined) addIssue({ message: `${JSON.stringify(bad.slice(0, 64))} ${keyReason}` });
    }),
    v.record(v.string(), value),
  );
}

// ---------------------------------------------------------------------------------------------
// The requests

const eraseModes = ['touched', 'mass', 'none'] as const;

export const programOptionsSchema = record({
  erase: v.picklist(eraseModes, `expected one of ${eraseModes.join(', ')}`),
  verify: flag,
  differential: v.optional(flag),
  preserve: v.optional(flag),
  skipErasedChunks: v.optional(flag),
  skipBlankSectors: v.optional(flag),
  leave: v.optional(flag),
  massEraseWhenFaster: v.optional(flag),
  flashSizeBytes: v.optional(flashSize),
});
/** The Flash tab's options as they cross IPC; toEngineOptions() maps them to the planner's. */
export type ProgramOptions = v.InferOutput<typeof programOptionsSchema>;

/** The one place the contract's options become the engine's (core/dfuse/plan.ts ProgramOptions). */
export function toEngineOptions(options: ProgramOptions, flashSizeBytes?: number): EngineProgramOptions {
  const { flashSizeBytes: given, ...rest } = options;
  const size = given ?? flashSizeBytes;
  return size === undefined ? rest : { ...rest, flashSizeBytes: size };
}

export const confirmationKinds: readonly ConfirmationKind[] = [
  'permanent-lock',
  'read-unprotect',
  'write-option-bytes',
  'write-otp',
  'file-for-other-device',
  'option-lockout',
];
const confirmedSchema = v.pipe(
  v.array(
    v.picklist(confirmationKinds, `expected one of ${confirmationKinds.join(', ')}`),
    'expected a list of confirmations',
  ),
  v.maxLength(confirmationKinds.length, `at most ${confirmationKinds.length} confirmations`),
);

export const programRequestSchema = record({ options: programOptionsSchema, confirmed: v.optional(confirmedSchema) });
export type ProgramRequest = v.InferOutput<typeof programRequestSchema>;

/**
 * What the window may name for a file's format: only 'binary', for a file whose extension names no
 * format and whose content is a binary (the error said couldBeRawBinary): the app's --format bin.
 */
const rawBinaryFormat = v.literal('binary', "expected 'binary'");

export const imageSourceSchema = plain(
  v.variant(
    'kind',
    [
      v.strictObject({ kind: v.literal('dialog') }),
      v.strictObject({
        kind: v.literal('file'),
        token: v.pipe(v.string('expected a string'), v.regex(FILE_TOKEN_PATTERN, 'expected a file token from main')),
        baseAddress: v.optional(address),
        format: v.optional(rawBinaryFormat),
      }),
      v.strictObject({
        kind: v.literal('bytes'),
        fileName: text(255),
        bytes: v.pipe(
          v.instance(Uint8Array, 'expected a Uint8Array'),
          v.check((bytes) => bytes.length <= MAX_IMAGE_BYTES, `larger than ${MAX_IMAGE_BYTES} bytes`),
          // A copy: the caller's buffer may be shared or later reused.
          v.transform((bytes): Uint8Array => new Uint8Array(bytes)),
        ),
        baseAddress: v.optional(address),
        format: v.optional(rawBinaryFormat),
      }),
    ],
    "expected 'dialog', 'file' or 'bytes'",
  ),
);
export type ImageSource = v.InferOutput<typeof imageSourceSchema>;

const lengthFrom = (max: number) =>
  v.pipe(
    v.number('expected an integer'),
    v.integer('expected an integer'),
    v.minValue(1, `must be between 1 and ${max}`),
    v.maxValue(max, `must be between 1 and ${max}`),
  );

/** `start + length` must stay inside the 32-bit address space; reported on `length`. */
function withinAddressSpace<T extends { start: number; length: number }>() {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (dataset.typed && dataset.value.start + dataset.value.length > ADDRESS_LIMIT) {
      addIssue({
        message: 'range runs past the end of the 32-bit address space',
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'length', value: dataset.value.length }],
      });
    }
  });
}

export const readRequestSchema = v.pipe(
  record({ alternate, start: address, length: lengthFrom(MAX_READ_BYTES) }),
  withinAddressSpace(),
);
export type ReadRequest = v.InferOutput<typeof readRequestSchema>;

const eraseVariant = v.variant(
  'kind',
  [
    v.strictObject({ kind: v.literal('mass'), alternate: v.optional(alternate) }),
    v.strictObject({ kind: v.literal('range'), alternate, start: address, length: lengthFrom(ADDRESS_LIMIT) }),
  ],
  "expected 'mass' or 'range'",
);

export const eraseRequestSchema = v.pipe(
  plain(eraseVariant),
  v.rawCheck<v.InferOutput<typeof eraseVariant>>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const value = dataset.value;
    if (value.kind === 'range' && value.start + value.length > ADDRESS_LIMIT) {
      addIssue({
        message: 'range runs past the end of the 32-bit address space',
        path: [{ type: 'object', origin: 'value', input: value, key: 'length', value: value.length }],
      });
    }
  }),
);
export type EraseRequest = v.InferOutput<typeof eraseRequestSchema>;

export const verifyWindowSchema = v.pipe(
  record({ start: address, end: integer(0, ADDRESS_LIMIT) }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { start, end } = dataset.value;
    if (end <= start)
      addIssue({
        message: 'must be after range.start',
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'end', value: end }],
      });
    else if (end - start > MAX_VERIFY_WINDOW_BYTES)
      addIssue({ message: `longer than ${MAX_VERIFY_WINDOW_BYTES} bytes` });
  }),
);

const saveFormats = ['hex', 'bin', 'dfu'] as const;
export const saveFormatSchema = v.picklist(saveFormats, `expected one of ${saveFormats.join(', ')}`);
export type SaveFormat = v.InferOutput<typeof saveFormatSchema>;

/** The formats the loaded image can be saved as (core/image/convert.ts): the read-back's plus S-records. */
const imageSaveFormats = ['hex', 'srec', 'bin', 'dfu'] as const;
export const imageSaveFormatSchema = v.picklist(imageSaveFormats, `expected one of ${imageSaveFormats.join(', ')}`);
export type ImageSaveFormat = v.InferOutput<typeof imageSaveFormatSchema>;

// Option-byte field ids are short identifiers from core/dfuse/optionBytes.ts ("rdp", "nBOOT0");
// anything else (including "__proto__") is refused before it becomes an object key.
const FIELD_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const optionChangesSchema = keyed(
  (key) => FIELD_ID_PATTERN.test(key),
  'is not a field id',
  integer(0, ADDRESS_LIMIT - 1),
  256,
);
export type OptionChanges = v.InferOutput<typeof optionChangesSchema>;

export const optionBytesWriteSchema = record({ changes: optionChangesSchema, confirmed: v.optional(confirmedSchema) });
export type OptionBytesWrite = v.InferOutput<typeof optionBytesWriteSchema>;

export const unprotectConfirmationSchema = record({
  eraseAllFlash: v.literal(true, 'removing read protection mass-erases the whole flash; pass { eraseAllFlash: true }'),
});

/** Settings as saved: a flash-size limit belongs to a bootloader (flashSizeLimits), not to the options. */
const savedProgramOptionsSchema = v.pipe(
  programOptionsSchema,
  v.rawCheck(({ dataset, addIssue }) => {
    if (dataset.typed && dataset.value.flashSizeBytes !== undefined) {
      addIssue({
        message: 'a flash size is saved per bootloader, in flashSizeLimits',
        path: [
          {
            type: 'object',
            origin: 'value',
            input: dataset.value,
            key: 'flashSizeBytes',
            value: dataset.value.flashSizeBytes,
          },
        ],
      });
    }
  }),
  v.transform(({ flashSizeBytes: _unused, ...options }) => options),
);
export type SavedProgramOptions = v.InferOutput<typeof savedProgramOptionsSchema>;

const settingsPatchEntries = {
  showSimulatedDevices: v.optional(flag),
  flashOnConnect: v.optional(flag),
  programOptions: v.optional(savedProgramOptionsSchema),
  flashSizeLimits: v.optional(
    keyed(
      (key) => key.length <= MAX_TEXT_LENGTH && !key.includes('\0') && BOOTLOADER_KEY_PATTERN.test(key),
      `is not a bootloader key "vvvv:pppp:dddd:<alt-0 string>" of at most ${MAX_TEXT_LENGTH} characters`,
      flashSize,
      MAX_FLASH_SIZE_LIMITS,
    ),
  ),
};

/** What the window may change. Not the recent files: main alone adds to them, from what the user opened. */
export const settingsPatchSchema = record(settingsPatchEntries);
export type SettingsPatch = v.InferOutput<typeof settingsPatchSchema>;

/** The settings file: the patchable fields plus the recent files (paths the user opened). */
export const storedSettingsSchema = record({
  ...settingsPatchEntries,
  recentFiles: v.optional(
    v.pipe(
      v.array(text(), 'expected a list of paths'),
      v.maxLength(MAX_RECENT_FILES, `more than ${MAX_RECENT_FILES} entries`),
      v.readonly(),
    ),
  ),
});
export type StoredSettings = v.InferOutput<typeof storedSettingsSchema>;
