// Command-line parsing on node:util parseArgs: no dependency, strict (unknown options are errors),
// and each command declares its own options so `--help` and the docs come from one table.
import { parseArgs } from 'node:util';
import { DfuError, type ConfirmationKind } from '../core/errors.js';
import { parseAddress, parseByteCount } from '../core/bytes.js';
import { cliFlagOf } from '../core/jobs/confirmations.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder shown in help, e.g. "ADDR". */
  readonly value?: string;
  readonly description: string;
  /** Test and developer knobs that stay out of --help. */
  readonly hidden?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface PositionalSpec {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: OptionSpecs;
  /** Extra lines for --help (examples, notes). */
  readonly notes?: readonly string[];
}

export type OptionValues = Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;

export interface ParsedArguments {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/** Options every command accepts. */
export const commonOptions: OptionSpecs = {
  json: { type: 'boolean', description: 'machine-readable output: one JSON object per line, the last one is the result' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
};

/** Options of every command that talks to a device. */
export const deviceOptions: OptionSpecs = {
  device: { type: 'string', short: 'd', value: 'SEL', description: 'the device: a serial number or a USB path (see `dfu-desk list`)' },
  simulate: {
    type: 'string',
    multiple: true,
    value: 'SPEC',
    description: 'use the built-in simulator instead of USB: PROFILE[xN][:SCENARIO], e.g. stm32l073x3 (repeatable)',
  },
  'sim-speed': {
    type: 'string',
    value: 'N',
    description: 'run simulated time N times faster than real time (default 1, or DFU_DESK_SIM_SPEED)',
  },
  log: { type: 'string', value: 'FILE', description: 'write the full structured log (JSON lines, debug level) to FILE' },
  verbose: { type: 'boolean', short: 'v', description: "print the engine's info and debug log lines on stderr" },
};

const confirmationHelp: Readonly<Record<ConfirmationKind, string>> = {
  'permanent-lock': 'allow read protection level 2: debug and the DFU bootloader are disabled FOR GOOD',
  'read-unprotect': 'allow lowering read protection from level 1 to 0 (this erases all flash)',
  'write-option-bytes': 'allow writing a whole raw option-byte block from the file (the device resets afterwards)',
  'write-otp': 'allow writing one-time programmable memory (permanent)',
  'file-for-other-device': 'flash a .dfu file whose USB ID names another device',
  'option-lockout': 'allow option bytes that can cut off the DFU bootloader or protect flash (boot path, write protection, PCROP)',
};

/** The flags that give confirmations (core/jobs/confirmations.ts), one per kind a command may need. */
export function confirmationOptions(kinds: readonly ConfirmationKind[]): OptionSpecs {
  return Object.fromEntries(
    kinds.map((kind) => {
      const flag = cliFlagOf(kind).replace(/^--/, '');
      return [flag, { type: 'boolean', ...(flag === 'yes' ? { short: 'y' } : {}), description: confirmationHelp[kind] } satisfies OptionSpec];
    }),
  );
}

/** The confirmations the user gave with those flags. */
export function confirmedFrom(values: OptionValues, kinds: readonly ConfirmationKind[]): ConfirmationKind[] {
  return kinds.filter((kind) => flagOption(values, cliFlagOf(kind).replace(/^--/, '')));
}

/**
 * Runs `body` and renames the argument of an 'invalid-argument' error from the engine's name to the
 * command-line option (flashSizeBytes -> --flash-size), so the message names what the user typed.
 */
export function inOptionTerms<T>(names: Readonly<Record<string, string>>, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof DfuError && error.info.kind === 'invalid-argument' && Object.hasOwn(names, error.info.argument)) {
      throw new DfuError({ ...error.info, argument: names[error.info.argument]! }, { cause: error });
    }
    throw error;
  }
}

export function usageError(argument: string, reason: string): DfuError {
  return new DfuError({ kind: 'invalid-argument', argument, reason });
}

/** Parses the arguments after the command name against the command's option table. */
export function parseCommandArguments(spec: CommandSpec, args: readonly string[]): ParsedArguments {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type,
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.short ? { short: option.short } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs messages are already one readable line ("Unknown option '--foo'").
    const message = (error instanceof Error ? error.message.split('\n')[0]! : String(error)).replace(/\. To specify a positional argument.*$/, '');
    throw usageError('arguments', `${message.charAt(0).toLowerCase()}${message.slice(1)}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>;
  if (values.help === true) return { values, positionals: parsed.positionals };
  const maxPositionals = spec.positionals.length;
  if (parsed.positionals.length > maxPositionals) {
    throw usageError('arguments', `unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  spec.positionals.forEach((positional, index) => {
    if (positional.required && parsed.positionals[index] === undefined) {
      throw usageError('arguments', `missing ${positional.name}`);
    }
  });
  return { values, positionals: parsed.positionals };
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringListOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** "0x08000000" or decimal; the option name goes into the error. */
export function parseAddressArgument(option: string, text: string): number {
  const value = parseAddress(text);
  if (value === undefined) throw usageError(option, `'${text}' is not an address (use 0x08000000 or decimal)`);
  return value;
}

/** A byte count (core/bytes.ts parseByteCount: "66748", "0x10000", "64K", "2M"), or a usage error naming the option. */
export function parseLengthArgument(option: string, text: string): number {
  const value = parseByteCount(text);
  if (value === undefined) throw usageError(option, `'${text}' is not a length (use bytes, 0x hex, or a K/M suffix)`);
  return value;
}

/**
 * --flash-size (flash, verify, erase, read): the real size of Internal Flash when the bootloader
 * describes more (reference §7.3 item 5: the L072xB claims 192 KiB for 128 KiB).
 */
export const flashSizeOption: OptionSpecs = {
  'flash-size': {
    type: 'string',
    value: 'N',
    description: 'the real size of Internal Flash, e.g. 128K (STM32L072xB, H750): nothing at or above it is erased, written or read',
  },
};

/** The --flash-size value in bytes, or undefined. At least 1K: the flash-size register counts KiB. */
export function flashSizeArgument(values: OptionValues): number | undefined {
  const text = stringOption(values, 'flash-size');
  if (text === undefined) return undefined;
  const value = parseLengthArgument('--flash-size', text);
  if (value < 1024) throw usageError('--flash-size', `'${text}' is below 1K; give the flash size, e.g. 128K`);
  return value;
}

/** "ADDR:LEN" as dfu-util writes it (-s 0x08000000:1024). Returns a half-open range. */
export function parseRangeArgument(option: string, text: string): { start: number; end: number } {
  const colon = text.indexOf(':');
  if (colon < 0) throw usageError(option, `'${text}' is not ADDR:LEN (e.g. 0x08004000:16K)`);
  const start = parseAddressArgument(option, text.slice(0, colon));
  const length = parseLengthArgument(option, text.slice(colon + 1));
  if (start + length > 0x1_0000_0000) throw usageError(option, `'${text}' runs past the end of the 32-bit address space`);
  return { start, end: start + length };
}

export type AltSelector = { readonly kind: 'index'; readonly index: number } | { readonly kind: 'name'; readonly name: string };

/** --alt takes an alt-setting number or a region name ("Internal Flash", case-insensitive). */
export function parseAltArgument(text: string): AltSelector {
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) {
    const index = Number.parseInt(trimmed, 10);
    if (index > 255) throw usageError('--alt', `alt setting ${index} does not exist (USB allows 0-255)`);
    return { kind: 'index', index };
  }
  if (trimmed === '') throw usageError('--alt', 'empty alt-setting name');
  return { kind: 'name', name: trimmed };
}

export type { EraseMode } from '../core/dfuse/plan.js';
import type { EraseMode } from '../core/dfuse/plan.js';

export function parseEraseMode(text: string): EraseMode {
  if (text === 'touched' || text === 'mass' || text === 'none') return text;
  throw usageError('--erase', `'${text}' is not one of touched, mass, none`);
}

/** A positive number such as a speed factor. */
export function parsePositiveNumber(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw usageError(option, `'${text}' is not a positive number`);
  return value;
}

/** Renders the --help text of one command from its spec. */
export function formatCommandHelp(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)).join(' ');
  const lines = [`Usage: dfu-desk ${spec.name}${positionals ? ` ${positionals}` : ''} [options]`, '', spec.summary, ''];
  if (spec.positionals.length > 0) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(28)} ${p.description}`);
    lines.push('');
  }
  lines.push('Options:');
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.hidden) continue;
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` ${option.value}` : ''}`;
    lines.push(flag.length < 28 ? `  ${flag.padEnd(28)} ${option.description}` : `  ${flag}\n  ${''.padEnd(28)} ${option.description}`);
  }
  if (spec.notes && spec.notes.length > 0) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}
