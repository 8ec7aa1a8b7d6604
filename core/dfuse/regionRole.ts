// What an alt setting is for, decided once from its name (describeDevice stores it on every
// AlternateInfo). The write policy (core/jobs/writePolicy.ts), the planner, the session and the
// flash-size limit ask for the role instead of matching names again.
//
// Names seen on ST ROM bootloaders (docs/reference/dfuse-protocol.md §4): "Internal Flash", "Option Bytes",
// "OTP Memory", "DATA Memory" (L0/L1 data EEPROM), "Device Feature" (F2/F4/F7), "System Memory".

export type RegionRole =
  /** Program flash: erased in sectors, holds firmware. */
  | 'flash'
  /** Byte-writable data EEPROM (L0/L1 "DATA Memory"); firmware images may carry it. */
  | 'eeprom'
  /** Option bytes: changed only through the option-byte editor or a confirmed raw block write. */
  | 'option-bytes'
  /** One-time programmable bytes: every write is permanent. */
  | 'otp'
  /** ST's "Device Feature" window (F2/F4/F7); not memory a firmware image belongs in. */
  | 'device-feature'
  /** The ROM bootloader itself. */
  | 'system'
  /** Any other name (external flash behind a custom DfuSe bootloader, ...): treated as firmware memory. */
  | 'other';

const RULES: readonly (readonly [RegExp, RegionRole])[] = [
  [/option/i, 'option-bytes'],
  [/\botp\b|one[- ]?time/i, 'otp'],
  [/eeprom|data\s*memory/i, 'eeprom'],
  [/device\s*feature/i, 'device-feature'],
  [/system/i, 'system'],
  [/flash/i, 'flash'],
];

/** The role of a region from its (trimmed) name. The only place that reads meaning into names. */
export function roleOfRegionName(name: string): RegionRole {
  return RULES.find(([pattern]) => pattern.test(name))?.[1] ?? 'other';
}

/** Roles a firmware image may write without a confirmation. */
export function isFirmwareRole(role: RegionRole): boolean {
  return role === 'flash' || role === 'eeprom' || role === 'other';
}

/**
 * The main flash: the lowest alt setting with the 'flash' role and a layout. A DfuSe mass erase
 * has no address and clears this memory whatever alt setting is selected.
 */
export function mainFlashOf<A extends RoleCarrier>(info: { readonly alternates: readonly A[] }): (A & { layout: NonNullable<A['layout']> }) | undefined {
  return info.alternates.find((alt): alt is A & { layout: NonNullable<A['layout']> } => alt.role === 'flash' && alt.layout !== undefined);
}

/** The alt setting with the option bytes, if the bootloader shows them. */
export function optionBytesAlternateOf<A extends RoleCarrier>(info: { readonly alternates: readonly A[] }): (A & { layout: NonNullable<A['layout']> }) | undefined {
  return info.alternates.find((alt): alt is A & { layout: NonNullable<A['layout']> } => alt.role === 'option-bytes' && alt.layout !== undefined);
}

/** What the helpers above need of an alt setting (AlternateInfo has it). */
interface RoleCarrier {
  readonly role: RegionRole;
  readonly layout?: unknown;
}
