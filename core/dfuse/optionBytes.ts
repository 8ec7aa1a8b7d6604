// Option bytes as the DfuSe "Option Bytes" alt setting shows them: decode into named fields and
// encode changes back, per STM32 family, from tables. Where each table comes from (and which
// parts are unverified) is recorded next to it and in docs/memory-layout.md.
import { DfuError } from '../errors.js';
import { formatAddress } from '../format.js';
import type { Stm32Family } from '../devices/stm32.js';
import { sectorByIndex, sectorCountOf, type MemoryRegion } from './memoryLayout.js';

export type OptionGroup = 'read-protection' | 'user' | 'write-protection' | 'boot' | 'other';

export interface OptionField {
  id: string;
  label: string;
  /** The register bit (or bit group) name as ST's reference manuals write it: "WDG_SW", "nRST_STOP". */
  bitName: string;
  /** One sentence for the UI. */
  description: string;
  group: OptionGroup;
  value: number;
  /** The current value in words: "Software watchdog (started by firmware)", "sectors 0-2 write-protected". */
  meaning: string;
  /**
   * 'enum': a choice between meanings (every 1-bit field is one: never a bare bit); 'number': a
   * count or address; 'mask': one bit per protected unit (see units).
   */
  kind: 'enum' | 'number' | 'mask';
  choices?: { value: number; label: string }[];
  /** Mask fields: each unit (sector or group of pages) the bits protect, with its state now. */
  units?: ProtectionUnit[];
  editable: boolean;
  /** Where the field lives, e.g. "0x1FFFC000 bits 15:8". */
  location: string;
  /** Largest value the field can hold. */
  maxValue: number;
}

/** One sector (or group of pages) a write-protection or PCROP mask bit stands for. */
export interface ProtectionUnit {
  /** Bit number within the field. */
  bit: number;
  /** "Sector 3 (0x0800C000-0x0800FFFF)", "0x08001000-0x08001FFF". */
  label: string;
  /** The bit value that protects this unit (0 for STM32F4 nWRP, 1 for STM32L0 WRPROT). */
  protectedWhen: 0 | 1;
  isProtected: boolean;
  /** What the protection is now: 'write' (no erase or program) or 'read' (PCROP: execute only). */
  protection: 'write' | 'read';
}

export interface DecodedOptionBytes {
  family: Stm32Family;
  address: number;
  raw: Uint8Array;
  fields: OptionField[];
  /** Read protection: 0 none, 1 read-protected, 2 locked for good. 0 when hasRdp is false. */
  rdpLevel: 0 | 1 | 2;
  /** False when this block carries no RDP byte (a second-bank block) or the layout is unknown. */
  hasRdp: boolean;
  /** Title of the layout used ("STM32F2/F4 option bytes"), or a note that none matched. */
  layout: string;
  warnings: string[];
}

export interface OptionBytesConfirmation {
  /** Required to set RDP level 2: the chip can then never be debugged or reprogrammed over DFU again. */
  permanentlyLockChip?: boolean;
  /** Required to lower RDP from level 1 to 0: the chip mass-erases its flash while doing so. */
  iUnderstandTheFlashIsErased?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Table model

type Width = 1 | 2 | 4;

interface FieldSpec {
  readonly id: string;
  readonly label: string;
  readonly bitName: string;
  readonly description: string;
  readonly group: OptionGroup;
  /** Byte offset of the little-endian word holding the field, and that word's width. */
  readonly offset: number;
  readonly width: Width;
  readonly shift: number;
  readonly bits: number;
  readonly kind: OptionField['kind'];
  readonly choices?: readonly { value: number; label: string }[];
  readonly editable: boolean | ((context: OptionContext) => boolean);
  /** Any value of the field's width is valid even though choices are listed (RDP). */
  readonly anyValue?: boolean;
  readonly units?: UnitSpec;
  /** Number fields: the value in words ("boots from 0x08000000"). */
  readonly meaningOf?: (value: number) => string;
}

/** How a mask field's bits map to flash: a device sector each, or a fixed number of bytes each. */
type UnitSpec =
  | { readonly per: 'sector'; readonly firstSector: number; readonly protectedWhen: 0 | 1; readonly modeField?: string; readonly flipsPolarity?: boolean }
  | { readonly per: 'bytes'; readonly size: number; readonly firstUnit: number; readonly protectedWhen: 0 | 1; readonly modeField?: string };

/**
 * What decoding knows about the device beyond the option bytes: its main flash, to name sectors
 * and to tell STM32F42x/F43x (more than 12 sectors) from F405/F407/F41x, where some bits are reserved.
 */
export interface OptionContext {
  readonly flash?: MemoryRegion;
}

const FLASH_BASE = 0x0800_0000;

/** A value and its bitwise complement stored side by side; the option-byte loader checks them. */
interface ComplementSpec {
  readonly name: string;
  readonly offset: number;
  readonly width: Width;
  readonly complementOffset: number;
  /** Both halves all-ones (the erased state) is accepted without an error (RM0091 §4). */
  readonly erasedIsValid: boolean;
}

interface RdpSpec {
  readonly level0: number;
  readonly level2?: number;
}

interface OptionLayout {
  readonly title: string;
  readonly families: readonly Stm32Family[];
  readonly address: number;
  readonly minSize: number;
  readonly fields: readonly FieldSpec[];
  readonly complements: readonly ComplementSpec[];
  readonly rdp?: RdpSpec;
  readonly notes?: readonly string[];
  /** Settings that can cut off the DFU bootloader or protect flash (besides RDP), checked on every write. */
  readonly guards?: readonly OptionGuard[];
}

/**
 * A setting of the option bytes that can lock a DFU-only user out: the BOOT0 path to the
 * bootloader disabled, flash made unreadable (PCROP) or unwritable (write protection), or
 * something that cannot be undone over DFU. `risk` looks at the block as it would be after the
 * write (and as it is now, when known) and returns the consequence in words, or undefined.
 */
interface OptionGuard {
  /** The fields it looks at (the confirmation names them). */
  readonly fields: readonly string[];
  readonly risk: (after: FieldValues, before: FieldValues | undefined) => string | undefined;
  /** True when ST documents that it cannot be undone over the DFU bootloader. */
  readonly isIrreversible?: boolean;
}

type FieldValues = ReadonlyMap<string, number>;

/** A lock-out risk of a planned option-byte block: what it is and what happens. */
export interface LockoutRisk {
  readonly fields: readonly string[];
  readonly consequence: string;
  readonly isIrreversible: boolean;
}

const ON_OFF = (zero: string, one: string) => [
  { value: 0, label: zero },
  { value: 1, label: one },
];

interface FieldOptions {
  kind?: OptionField['kind'];
  choices?: readonly { value: number; label: string }[];
  editable?: FieldSpec['editable'];
  anyValue?: boolean;
  /** The register bit name when it is not the id in capitals ("nRST_STOP" is derived from nrst_stop). */
  bitName?: string;
  units?: UnitSpec;
  meaningOf?: (value: number) => string;
}

/** "nrst_stop" -> "nRST_STOP", "wdg_sw" -> "WDG_SW": ST writes active-low bits with a small n. */
function bitNameOf(id: string): string {
  const upper = id.toUpperCase();
  return /^N[A-Z]/.test(upper) && id.startsWith('n') ? `n${upper.slice(1)}` : upper;
}

/**
 * The meaning of each value of the 1-bit fields, shared by the families where the bit means the
 * same. A 1-bit field without meanings is a programming error (module load fails), so the editor
 * never shows a bare bit whose sense the user has to guess.
 */
const BIT_MEANINGS: Readonly<Record<string, readonly [string, string]>> = {
  wdg_sw: ['Hardware watchdog (starts at reset)', 'Software watchdog (started by firmware)'],
  iwdg_sw: ['Hardware watchdog (starts at reset)', 'Software watchdog (started by firmware)'],
  iwdg1_sw: ['Hardware watchdog (starts at reset)', 'Software watchdog (started by firmware)'],
  wwdg_sw: ['Window watchdog on at reset (hardware)', 'Window watchdog started by firmware (software)'],
  iwdg_stop: ['Watchdog frozen in Stop mode', 'Watchdog keeps running in Stop mode'],
  iwdg_stdby: ['Watchdog frozen in Standby mode', 'Watchdog keeps running in Standby mode'],
  fz_iwdg_stop: ['Watchdog frozen in Stop mode', 'Watchdog keeps running in Stop mode'],
  fz_iwdg_sdby: ['Watchdog frozen in Standby mode', 'Watchdog keeps running in Standby mode'],
  nboot1: ['With BOOT0 high: boot SRAM (no DFU bootloader)', 'With BOOT0 high: boot the system bootloader (DFU)'],
  nboot0: ['nBOOT0 = 0: boot the system bootloader or SRAM when the pin is ignored', 'nBOOT0 = 1: boot main flash when the pin is ignored'],
  boot_sel: ['Boot source from nBOOT0 (BOOT0 pin ignored)', 'Boot source from the BOOT0 pin'],
  nswboot0: ['Boot source from nBOOT0 (BOOT0 pin ignored)', 'Boot source from the BOOT0 pin'],
  nboot_sel: ['Boot source from the BOOT0 pin', 'Boot source from nBOOT0 (BOOT0 pin ignored)'],
  vdda_monitor: ['Analog supply (VDDA) not monitored', 'Analog supply (VDDA) monitored'],
  ram_parity_check: ['SRAM parity check on', 'SRAM parity check off'],
  sram_pe: ['SRAM parity check on', 'SRAM parity check off'],
  sram2_pe: ['SRAM2 parity check on', 'SRAM2 parity check off'],
  sram2_rst: ['SRAM2 erased on a system reset', 'SRAM2 kept on a system reset'],
  ccmsram_rst: ['CCM SRAM erased on a system reset', 'CCM SRAM kept on a system reset'],
  bfb2: ['Boot from bank 1 as usual', 'Boot through the system memory, which picks the bank to run'],
  db1m: ['Single bank', 'Two banks of 512 KB'],
  dualbank: ['Single bank', 'Two banks'],
  dbank: ['Single bank of 4 KB pages', 'Two banks of 2 KB pages'],
  sprmod: ['nWRP bits write-protect (a 0 bit protects its sector)', 'nWRP bits read-protect (PCROP: a 1 bit makes its sector execute-only)'],
  wprmod: ['WRPROT bits write-protect their sectors', 'WRPROT bits read-protect their sectors (PCROP: execute only)'],
  pcrop_rdp: ['PCROP area kept when RDP goes from 1 to 0', 'PCROP area erased when RDP goes from 1 to 0'],
  irhen: ['Only power-on resets drive the NRST pin', 'Internal resets drive the NRST pin low'],
  io_hslv: ['I/O high speed at low voltage off', 'I/O high speed at low voltage on (only with VDD below 2.7 V)'],
  swap_bank: ['Banks in their usual places', 'Bank 1 and bank 2 swapped in the memory map'],
  security: ['Security off', 'Security on (ST secure services)'],
  bor_en: ['Brown-out reset off', 'Brown-out reset on'],
  boot_lock: ['Boot as the boot pins and options say', 'Always boot main flash (boot pins ignored)'],
  sram_rst: ['SRAMs (all but SRAM2 and backup SRAM) erased on a system reset', 'SRAMs kept on a system reset'],
  bkpram_ecc: ['Backup SRAM ECC on', 'Backup SRAM ECC off'],
  sram3_ecc: ['SRAM3 ECC on', 'SRAM3 ECC off'],
  sram2_ecc: ['SRAM2 ECC on', 'SRAM2 ECC off'],
  pa15_pupen: ['PA15 pull-up off (USB-PD dead-battery pull-down on)', 'PA15 pull-up on (JTAG TDI)'],
  io_vdd_hslv: ['I/O high speed at low VDD off', 'I/O high speed at low VDD on (only with VDD below 2.5 V)'],
  io_vddio2_hslv: ['I/O high speed at low VDDIO2 off', 'I/O high speed at low VDDIO2 on (only with VDDIO2 below 2.5 V)'],
  tzen: ['TrustZone off', 'TrustZone on (secure and non-secure worlds)'],
};

function field(
  id: string,
  group: OptionGroup,
  [offset, width, shift, bits]: readonly [number, Width, number, number],
  label: string,
  description: string,
  options: FieldOptions = {},
): FieldSpec {
  let choices = options.choices;
  if (bits === 1 && !choices) {
    const meanings = BIT_MEANINGS[id];
    if (!meanings) throw new Error(`option byte ${id}: a 1-bit field needs the meaning of each value`);
    choices = ON_OFF(...meanings);
  }
  const kind = options.kind ?? (choices ? 'enum' : 'number');
  return {
    id,
    group,
    offset,
    width,
    shift,
    bits,
    label,
    bitName: options.bitName ?? bitNameOf(id),
    description,
    kind,
    choices,
    editable: options.editable ?? true,
    anyValue: options.anyValue,
    units: options.units,
    meaningOf: options.meaningOf,
  };
}

const RDP_CHOICES = [
  { value: 0xaa, label: 'Level 0: no protection' },
  { value: 0xbb, label: 'Level 1: flash cannot be read over debug or the bootloader' },
  { value: 0xcc, label: 'Level 2: debug and bootloader disabled for good (irreversible)' },
];

const rdpField = (at: readonly [number, Width, number, number], choices = RDP_CHOICES) =>
  field('rdp', 'read-protection', at, 'Read protection (RDP)', '0xAA = level 0, 0xCC = level 2 (permanent), any other value = level 1; going from 1 to 0 mass-erases the flash.', {
    kind: 'enum',
    choices,
    anyValue: true,
  });

const resetOn = (mode: string) => ON_OFF(`Reset when entering ${mode} mode`, `No reset when entering ${mode} mode`);
const watchdog = ON_OFF(...BIT_MEANINGS.wdg_sw!);

// ---------------------------------------------------------------------------------------------
// Lock-out guards (docs/memory-layout.md, "Option bytes that can lock you out")

/** nBOOT1 = 0: BOOT0 high starts SRAM, so the pin no longer reaches the bootloader. */
const nBoot1Guard: OptionGuard = {
  fields: ['nboot1'],
  risk: (after) => (after.get('nboot1') === 0 ? 'nBOOT1 = 0: with BOOT0 held high the chip starts SRAM instead of the DFU bootloader' : undefined),
};

/**
 * The BOOT0 pin ignored and nBOOT0 = 1: the chip always starts main flash, and the DFU bootloader
 * is reached only if the firmware jumps to it. `pinIgnoredWhen` is the value of the selector bit
 * (BOOT_SEL, nSWBOOT0, nBOOT_SEL) that makes the chip ignore the pin.
 */
const bootPinGuard = (selector: string, pinIgnoredWhen: 0 | 1): OptionGuard => ({
  fields: [selector, 'nboot0'],
  risk: (after) =>
    after.get(selector) === pinIgnoredWhen && after.get('nboot0') === 1
      ? `${bitNameOf(selector)} = ${pinIgnoredWhen} ignores the BOOT0 pin and nBOOT0 = 1 starts main flash: the DFU bootloader is reached only if the firmware jumps to it`
      : undefined,
});

/** BOOT_ADD1 (used with BOOT0 high) pointing anywhere but the system bootloader. */
const bootAddressGuard = (systemValue: number, unit: number, systemMemory: number): OptionGuard => ({
  fields: ['boot_add1'],
  risk: (after) => {
    const value = after.get('boot_add1');
    return value !== undefined && value !== systemValue
      ? `BOOT_ADD1 = ${hexOf(value)}: with BOOT0 held high the chip ${bootsFrom(value * unit, systemMemory)}, not from the DFU bootloader (${hexOf(systemValue)})`
      : undefined;
  },
});

/** An address range (start..end inclusive, in `unit` bytes) that becomes active. */
const areaGuard = (start: string, end: string, what: (first: number, last: number) => string): OptionGuard => ({
  fields: [start, end],
  risk: (after, before) => {
    const first = after.get(start)!;
    const last = after.get(end)!;
    if (first > last) return undefined;
    if (before && before.get(start) === first && before.get(end) === last) return undefined;
    return what(first, last);
  },
});

const wrpAreaGuards = (bank: 1 | 2): OptionGuard[] =>
  (['a', 'b'] as const).map((area) =>
    areaGuard(`wrp${bank}${area}_strt`, `wrp${bank}${area}_end`, (first, last) => `WRP${bank}${area.toUpperCase()} write-protects pages ${first}-${last}: DFU cannot erase or program them until the area is cleared here`),
  );

const pcropGuard = (bank: 1 | 2): OptionGuard =>
  areaGuard(`pcrop${bank}_strt`, `pcrop${bank}_end`, (first, last) =>
    `PCROP${bank} makes ${formatAddress(FLASH_BASE + 8 * first)}-${formatAddress(FLASH_BASE + 8 * last + 7)} execute-only: it can no longer be read or verified over DFU, and only a read-protection regression (mass erase) clears it`,
  );

/** A guard on one field set to one value (a mode bit whose meaning changes what DFU can do). */
const whenSet = (field: string, value: number, risk: string, isIrreversible = false): OptionGuard => ({
  fields: [field],
  risk: (after) => (after.get(field) === value ? risk : undefined),
  ...(isIrreversible ? { isIrreversible } : {}),
});

const sprmodGuard = whenSet(
  'sprmod',
  1,
  'SPRMOD = 1 makes every sector whose nWRP bit is 1 execute-only (PCROP), with the factory nWRP that is all of them; ST documents that this cannot be undone over the DFU bootloader',
  true,
);

const wprmodGuard = whenSet(
  'wprmod',
  1,
  'WPRMOD = 1 makes the sectors selected in WRPROT read-protected (PCROP, execute only): they can no longer be read or verified over DFU, and only a read-protection regression (mass erase) clears it',
);

// F0/F1/F3: RM0091/RM0360 §4 Table 11 (verified): four 16-bit slots, each byte followed by its complement.
// F1 level-0 key is 0xA5 and there is no level 2 (PM0075).
function f0Layout(family: 'F0' | 'F1' | 'F3'): OptionLayout {
  const isF1 = family === 'F1';
  const byteComplement = (name: string, offset: number): ComplementSpec => ({ name, offset, width: 1, complementOffset: offset + 1, erasedIsValid: true });
  return {
    title: isF1 ? 'STM32F1 option bytes' : `STM32${family} option bytes`,
    families: [family],
    address: 0x1ffff800,
    minSize: 16,
    rdp: isF1 ? { level0: 0xa5 } : { level0: 0xaa, level2: 0xcc },
    fields: [
      rdpField(
        [0, 1, 0, 8],
        isF1
          ? [
              { value: 0xa5, label: 'Level 0: no protection' },
              { value: 0x00, label: 'Level 1: flash cannot be read over debug or the bootloader' },
            ]
          : RDP_CHOICES,
      ),
      field('wdg_sw', 'user', [2, 1, 0, 1], 'Watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
      field('nrst_stop', 'user', [2, 1, 1, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
      field('nrst_stdby', 'user', [2, 1, 2, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
      ...(isF1
        ? []
        : [
            ...(family === 'F0'
              ? [field('nboot0', 'boot', [2, 1, 3, 1], 'nBOOT0', 'F04x/F07x/F09x only: BOOT0 value used when BOOT_SEL is 0.')]
              : []),
            field('nboot1', 'boot', [2, 1, 4, 1], 'nBOOT1', 'With BOOT0 high: 1 boots the system bootloader, 0 boots SRAM.'),
            field('vdda_monitor', 'user', [2, 1, 5, 1], 'VDDA monitor', 'Whether the analog supply is monitored (1 = on).'),
            field('ram_parity_check', 'user', [2, 1, 6, 1], 'RAM parity check', 'Inverted: 0 enables the SRAM parity check, 1 disables it.'),
            ...(family === 'F0'
              ? [field('boot_sel', 'boot', [2, 1, 7, 1], 'BOOT_SEL', 'F04x/F07x/F09x only: 1 uses the BOOT0 pin, 0 uses nBOOT0 instead.')]
              : []),
          ]),
      field('data0', 'other', [4, 1, 0, 8], 'User data 0', 'A free byte for the application.'),
      field('data1', 'other', [6, 1, 0, 8], 'User data 1', 'A free byte for the application.'),
      ...[0, 1, 2, 3].map((i) =>
        field(`wrp${i}`, 'write-protection', [8 + 2 * i, 1, 0, 8], `Write protection WRP${i}`, 'One bit per 4 KB of flash (a group of pages); a 0 bit protects that group against erase and write.', {
          kind: 'mask',
          // 4 KB per bit on F0, F3 and F1 low/medium density; on F1 high density bit 31 covers the rest of flash [unverified per part].
          units: { per: 'bytes', size: 4096, firstUnit: 8 * i, protectedWhen: 0 },
        }),
      ),
    ],
    complements: [
      byteComplement('RDP', 0),
      byteComplement('USER', 2),
      byteComplement('Data0', 4),
      byteComplement('Data1', 6),
      byteComplement('WRP0', 8),
      byteComplement('WRP1', 10),
      byteComplement('WRP2', 12),
      byteComplement('WRP3', 14),
    ],
    notes: ['New values load at the next power-on reset (F0: or OBL_LAUNCH).'],
    guards: family === 'F0' ? [nBoot1Guard, bootPinGuard('boot_sel', 0)] : family === 'F3' ? [nBoot1Guard] : [],
  };
}

// F2/F4: RM0090 Rev 21 §3.7.1 Tables 15-17 (verified): 0x1FFFC000 [15:0] = RDP (15:8) and USER (7:0);
// 0x1FFFC008 [15:0] = SPRMOD, DB1M and nWRP 11:0. Bytes marked reserved are kept as read.
const F4_BOR = [
  { value: 0, label: 'BOR level 3 (highest threshold)' },
  { value: 1, label: 'BOR level 2' },
  { value: 2, label: 'BOR level 1' },
  { value: 3, label: 'BOR off (POR/PDR threshold only)' },
];

/**
 * SPRMOD and DB1M exist on F42x/F43x only; on F405/F407/F41x bit 15 and 14 of 0x1FFFC008 are
 * reserved. The option bytes do not say which chip this is; the flash layout does when it has more
 * than 12 sectors (2 MB parts, or 1 MB parts in dual-bank mode). A 1 MB F42x in single-bank mode
 * looks like an F407, so the bits stay read-only there: safe, not complete.
 */
function isF42x(context: OptionContext): boolean {
  return context.flash !== undefined && sectorCountOf(context.flash) > 12;
}

const f4Layout: OptionLayout = {
  title: 'STM32F2/F4 option bytes',
  families: ['F2', 'F4'],
  address: 0x1fffc000,
  minSize: 10,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 2, 8, 8]),
    field('bor_lev', 'user', [0, 2, 2, 2], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset.', { choices: F4_BOR }),
    field('bfb2', 'boot', [0, 2, 4, 1], 'Dual-bank boot (BFB2)', 'F42x/F43x only: 1 always boots the system memory, which then picks the bank to run.'),
    field('wdg_sw', 'user', [0, 2, 5, 1], 'Watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('nrst_stop', 'user', [0, 2, 6, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stdby', 'user', [0, 2, 7, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
    field('nwrp', 'write-protection', [8, 2, 0, 12], 'Sector write protection (nWRP, sectors 0-11)', 'One bit per sector; a 0 bit protects that sector (inverted when SPRMOD is 1).', {
      kind: 'mask',
      units: { per: 'sector', firstSector: 0, protectedWhen: 0, modeField: 'sprmod', flipsPolarity: true },
    }),
    field('db1m', 'user', [8, 2, 14, 1], 'Dual bank on 1 MB parts (DB1M)', 'F42x/F43x 1 MB parts only: 1 splits the flash into two 512 KB banks. Reserved on F405/F407/F41x.', { editable: isF42x }),
    field('sprmod', 'write-protection', [8, 2, 15, 1], 'PCROP mode (SPRMOD)', 'F42x/F43x only: 1 turns the nWRP bits into read-out (PCROP) protection; clearing it needs RDP 1 to 0. Reserved on F405/F407/F41x.', { editable: isF42x }),
  ],
  complements: [],
  notes: ['The bank-2 block of F42x/F43x lives at 0x1FFEC000 and holds nWRP for sectors 12-23.'],
  guards: [sprmodGuard],
};

const f4Bank2Layout: OptionLayout = {
  title: 'STM32F42x/F43x option bytes, bank 2',
  families: ['F4'],
  address: 0x1ffec000,
  minSize: 10,
  fields: [
    field('nwrp2', 'write-protection', [8, 2, 0, 12], 'Sector write protection (nWRP, sectors 12-23)', 'One bit per bank-2 sector; a 0 bit protects that sector (inverted when SPRMOD is 1).', {
      kind: 'mask',
      bitName: 'nWRP',
      units: { per: 'sector', firstSector: 12, protectedWhen: 0 },
    }),
  ],
  complements: [],
};

// F7: FLASH_OPTCR/OPTCR1 bit positions from Keil's STM32F7xx option-byte file (RM0385); memory image
// (16-bit value + 16-bit complement every 8 bytes, defaults 0x5500AAFF, 0x0000FFFF, 0xFF7F0080,
// 0xFFBF0040) from a public STM32F7 driver's comments. Not checked against RM0385 itself.
/** Where the F7 and H7 system bootloader starts, as BOOT_ADDx values: 0x0040 << 14 and 0x1FF0 << 16. */
const F7_SYSTEM_MEMORY = 0x0010_0000;
const H7_SYSTEM_MEMORY = 0x1ff0_0000;
export const SYSTEM_BOOT_ADDRESS = { F7: 0x0040, H7: 0x1ff0 } as const;

function bootsFrom(address: number, systemMemory: number): string {
  const where = address === systemMemory ? ' (the system bootloader, DFU)' : address === FLASH_BASE ? ' (main flash)' : '';
  return `boots from ${formatAddress(address)}${where}`;
}

const f7Layout: OptionLayout = {
  title: 'STM32F7 option bytes',
  families: ['F7'],
  address: 0x1fff0000,
  minSize: 32,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 2, 8, 8]),
    field('bor_lev', 'user', [0, 2, 2, 2], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset.', { choices: F4_BOR }),
    field('wwdg_sw', 'user', [0, 2, 4, 1], 'Window watchdog', 'Whether the window watchdog is enabled by hardware (0) or software (1).'),
    field('iwdg_sw', 'user', [0, 2, 5, 1], 'Independent watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('nrst_stop', 'user', [0, 2, 6, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stdby', 'user', [0, 2, 7, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
    field('nwrp', 'write-protection', [8, 2, 0, 8], 'Sector write protection (nWRP)', 'One bit per sector; a 0 bit protects that sector.', {
      kind: 'mask',
      units: { per: 'sector', firstSector: 0, protectedWhen: 0 },
    }),
    field('iwdg_stdby', 'user', [8, 2, 14, 1], 'Watchdog in Standby', '0 freezes the independent watchdog in Standby mode, 1 keeps it running.'),
    field('iwdg_stop', 'user', [8, 2, 15, 1], 'Watchdog in Stop', '0 freezes the independent watchdog in Stop mode, 1 keeps it running.'),
    field('boot_add0', 'boot', [16, 2, 0, 16], 'Boot address 0 (BOOT0 low)', 'Boot address in 16 KB units (0x2000 = flash on AXIM at 0x08000000, 0x0040 = system bootloader).', {
      kind: 'number',
      meaningOf: (value) => bootsFrom(value * 0x4000, F7_SYSTEM_MEMORY),
    }),
    field('boot_add1', 'boot', [24, 2, 0, 16], 'Boot address 1 (BOOT0 high)', 'Boot address in 16 KB units used when the BOOT0 pin is high; 0x0040 is the system bootloader (DFU).', {
      kind: 'number',
      meaningOf: (value) => bootsFrom(value * 0x4000, F7_SYSTEM_MEMORY),
    }),
  ],
  complements: [0, 8, 16, 24].map((offset) => ({ name: `0x${offset.toString(16)}`, offset, width: 2 as const, complementOffset: offset + 2, erasedIsValid: false })),
  guards: [bootAddressGuard(SYSTEM_BOOT_ADDRESS.F7, 0x4000, F7_SYSTEM_MEMORY)],
};

// L0: Keil STM32L0xx_OPT.s "Option byte organization" (verified): every 32-bit word is a 16-bit value
// plus its complement; defaults 0xFF5500AA, 0x7F8F8070, 0xFFFF0000 x3. BFB2 (USER bit 7) from the
// FLASH_OPTR_BFB2 name in the L0 HAL; its position follows FLASH_OPTR [unverified].
const L0_BOR = [
  { value: 0x0, label: 'BOR off (power-down reset only, ~1.5 V)' },
  { value: 0x8, label: 'BOR level 0 (~1.7-1.8 V)' },
  { value: 0x9, label: 'BOR level 1 (~1.9-2.1 V)' },
  { value: 0xa, label: 'BOR level 2 (~2.3-2.5 V)' },
  { value: 0xb, label: 'BOR level 3 (~2.5-2.7 V)' },
  { value: 0xc, label: 'BOR level 4 (~2.8-3.0 V)' },
];

function halfWordComplements(count: number): ComplementSpec[] {
  return Array.from({ length: count }, (_, i) => ({ name: `word ${i} (${formatAddress(i * 4)})`, offset: i * 4, width: 2 as const, complementOffset: i * 4 + 2, erasedIsValid: false }));
}

const l0Layout: OptionLayout = {
  title: 'STM32L0 option bytes',
  families: ['L0'],
  address: 0x1ff80000,
  minSize: 20,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 2, 0, 8]),
    field('wprmod', 'write-protection', [0, 2, 8, 1], 'Protection mode (WPRMOD)', '0: the WRPROT bits write-protect sectors; 1: they read-protect them (PCROP).'),
    field('bor_lev', 'user', [4, 2, 0, 4], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset; values 0-7 all mean off.', { choices: L0_BOR, anyValue: true }),
    field('iwdg_sw', 'user', [4, 2, 4, 1], 'Watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('nrst_stop', 'user', [4, 2, 5, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stdby', 'user', [4, 2, 6, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
    field('bfb2', 'boot', [4, 2, 7, 1], 'Dual-bank boot (BFB2)', 'Category 5 only: 1 boots the system memory, which then picks the bank to run.'),
    field('nboot1', 'boot', [4, 2, 15, 1], 'nBOOT1', 'With BOOT0 high: 1 boots the system bootloader, 0 boots SRAM.'),
    field('wrprot1', 'write-protection', [8, 2, 0, 16], 'Sector protection, sectors 0-15', 'One bit per 4 KB sector; a 1 bit protects it (write or read, see WPRMOD).', {
      kind: 'mask',
      bitName: 'WRPROT1[15:0]',
      units: { per: 'bytes', size: 4096, firstUnit: 0, protectedWhen: 1, modeField: 'wprmod' },
    }),
    field('wrprot1_high', 'write-protection', [12, 2, 0, 16], 'Sector protection, sectors 16-31', 'One bit per 4 KB sector; a 1 bit protects it.', {
      kind: 'mask',
      bitName: 'WRPROT1[31:16]',
      units: { per: 'bytes', size: 4096, firstUnit: 16, protectedWhen: 1, modeField: 'wprmod' },
    }),
    field('wrprot2', 'write-protection', [16, 2, 0, 16], 'Sector protection, sectors 32-47', 'Category 5 only: one bit per 4 KB sector; a 1 bit protects it.', {
      kind: 'mask',
      bitName: 'WRPROT2[15:0]',
      units: { per: 'bytes', size: 4096, firstUnit: 32, protectedWhen: 1, modeField: 'wprmod' },
    }),
  ],
  complements: halfWordComplements(5),
  notes: ['Bytes 20-31 of the DFU alt are not option bytes and are kept as read.'],
  guards: [nBoot1Guard, wprmodGuard],
};

// L1: OB_TypeDef in the STM32L1 CMSIS headers (verified: RDP, USER, WRP01 ... WRP1011 words, value
// plus complement like L0). USER bit positions follow L0 / FLASH_OBR [unverified].
const l1Layout: OptionLayout = {
  title: 'STM32L1 option bytes',
  families: ['L1'],
  address: 0x1ff80000,
  minSize: 32,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 2, 0, 8]),
    field('bor_lev', 'user', [4, 2, 0, 4], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset; values 0-7 all mean off, 8-12 are levels 1-5.', { kind: 'number' }),
    field('iwdg_sw', 'user', [4, 2, 4, 1], 'Watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('nrst_stop', 'user', [4, 2, 5, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stdby', 'user', [4, 2, 6, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
    field('bfb2', 'boot', [4, 2, 7, 1], 'Dual-bank boot (BFB2)', 'Categories 4-6 only: 1 boots the system memory, which then picks the bank to run.'),
    ...[0, 1, 2, 3, 4, 5].map((i) =>
      field(`wrp${2 * i}${2 * i + 1}`, 'write-protection', [8 + 4 * i, 2, 0, 16], `Sector protection, sectors ${16 * i}-${16 * i + 15}`, 'One bit per 4 KB sector; a 1 bit write-protects it.', {
        kind: 'mask',
        units: { per: 'bytes', size: 4096, firstUnit: 16 * i, protectedWhen: 1 },
      }),
    ),
  ],
  complements: halfWordComplements(8),
};

// L4/G0/G4: each 64-bit slot = 32-bit register image + its complement (Black Magic Probe's
// stm32l4 option table, verified against its L4/G4 defaults 0xFFEFF8AA ...). OPTR bit positions from
// the CMSIS headers (verified: stm32l4xx.h, stm32g4xx.h, stm32g0xx.h).
function doubleWordComplements(count: number): ComplementSpec[] {
  return Array.from({ length: count }, (_, i) => ({ name: `slot ${i} (+0x${(i * 8).toString(16)})`, offset: i * 8, width: 4 as const, complementOffset: i * 8 + 4, erasedIsValid: false }));
}

const L4_BOR = [
  { value: 0, label: 'BOR level 0 (~1.7 V)' },
  { value: 1, label: 'BOR level 1 (~2.0 V)' },
  { value: 2, label: 'BOR level 2 (~2.2 V)' },
  { value: 3, label: 'BOR level 3 (~2.5 V)' },
  { value: 4, label: 'BOR level 4 (~2.8 V)' },
];

const NRST_MODE = [
  { value: 1, label: 'Reset input only' },
  { value: 2, label: 'GPIO (no reset pin)' },
  { value: 3, label: 'Bidirectional reset' },
];

const commonOptr = (stopBit: number) => [
  field('nrst_stop', 'user', [0, 4, stopBit, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
  field('nrst_stdby', 'user', [0, 4, stopBit + 1, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
  field('nrst_shdw', 'user', [0, 4, stopBit + 2, 1], 'Reset on Shutdown', 'Whether entering Shutdown mode resets the chip.', { choices: resetOn('Shutdown') }),
  field('iwdg_sw', 'user', [0, 4, 16, 1], 'Independent watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
  field('iwdg_stop', 'user', [0, 4, 17, 1], 'Watchdog in Stop', '0 freezes the independent watchdog in Stop mode, 1 keeps it running.'),
  field('iwdg_stdby', 'user', [0, 4, 18, 1], 'Watchdog in Standby', '0 freezes the independent watchdog in Standby mode, 1 keeps it running.'),
  field('wwdg_sw', 'user', [0, 4, 19, 1], 'Window watchdog', 'Whether the window watchdog is enabled by hardware (0) or software (1).'),
];

const pageMeaning = (value: number) => `page ${value}`;
const doubleWordMeaning = (value: number) => `double word ${value} (${formatAddress(FLASH_BASE + 8 * value)})`;

const wrpFields = (bank: 1 | 2, offsetA: number, bits: number) => [
  field(`wrp${bank}a_strt`, 'write-protection', [offsetA, 4, 0, bits], `WRP${bank}A start page`, 'First page of write-protected area A; no protection when start is above end.', { kind: 'number', meaningOf: pageMeaning }),
  field(`wrp${bank}a_end`, 'write-protection', [offsetA, 4, 16, bits], `WRP${bank}A end page`, 'Last page of write-protected area A.', { kind: 'number', meaningOf: pageMeaning }),
  field(`wrp${bank}b_strt`, 'write-protection', [offsetA + 8, 4, 0, bits], `WRP${bank}B start page`, 'First page of write-protected area B; no protection when start is above end.', { kind: 'number', meaningOf: pageMeaning }),
  field(`wrp${bank}b_end`, 'write-protection', [offsetA + 8, 4, 16, bits], `WRP${bank}B end page`, 'Last page of write-protected area B.', { kind: 'number', meaningOf: pageMeaning }),
];

const l4Layout: OptionLayout = {
  title: 'STM32L4 option bytes',
  families: ['L4'],
  address: 0x1fff7800,
  minSize: 40,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 4, 0, 8]),
    field('bor_lev', 'user', [0, 4, 8, 3], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset.', { choices: L4_BOR }),
    ...commonOptr(12),
    field('bfb2', 'boot', [0, 4, 20, 1], 'Dual-bank boot (BFB2)', 'Dual-bank parts: 1 boots from bank 2 when it holds valid code.'),
    field('dualbank', 'user', [0, 4, 21, 1], 'Dual bank (DUALBANK)', '1 MB / 512 KB parts: 1 splits the flash into two banks.'),
    field('nboot1', 'boot', [0, 4, 23, 1], 'nBOOT1', 'With BOOT0 high: 1 boots the system bootloader, 0 boots SRAM1.'),
    field('sram2_pe', 'user', [0, 4, 24, 1], 'SRAM2 parity', 'Inverted: 0 enables the SRAM2 parity check.'),
    field('sram2_rst', 'user', [0, 4, 25, 1], 'SRAM2 erase on reset', 'Inverted: 0 erases SRAM2 on a system reset.'),
    field('nswboot0', 'boot', [0, 4, 26, 1], 'Software BOOT0 (nSWBOOT0)', '0 takes BOOT0 from nBOOT0 instead of the pin (L43x/L45x and later).'),
    field('nboot0', 'boot', [0, 4, 27, 1], 'nBOOT0', 'BOOT0 value used when nSWBOOT0 is 0.'),
    field('pcrop1_strt', 'write-protection', [8, 4, 0, 16], 'PCROP start', 'Start of the read-out protected (execute-only) area, in double words from the flash start.', { kind: 'number', meaningOf: doubleWordMeaning }),
    field('pcrop1_end', 'write-protection', [16, 4, 0, 16], 'PCROP end', 'End of the read-out protected area, in double words.', { kind: 'number', meaningOf: doubleWordMeaning }),
    field('pcrop_rdp', 'read-protection', [16, 4, 31, 1], 'Erase PCROP on RDP regression', '1: lowering RDP from 1 to 0 also erases the PCROP area.'),
    ...wrpFields(1, 24, 8),
  ],
  complements: doubleWordComplements(5),
  guards: [nBoot1Guard, bootPinGuard('nswboot0', 0), pcropGuard(1), ...wrpAreaGuards(1)],
};

const g4Layout: OptionLayout = {
  title: 'STM32G4 option bytes',
  families: ['G4'],
  address: 0x1fff7800,
  minSize: 48,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 4, 0, 8]),
    field('bor_lev', 'user', [0, 4, 8, 3], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset.', { choices: L4_BOR }),
    ...commonOptr(12),
    field('bfb2', 'boot', [0, 4, 20, 1], 'Dual-bank boot (BFB2)', 'Dual-bank mode: 1 boots from bank 2 when it holds valid code.'),
    field('dbank', 'user', [0, 4, 22, 1], 'Dual bank (DBANK)', 'G47x/G48x: 1 = two banks of 2 KB pages, 0 = one bank of 4 KB pages.'),
    field('nboot1', 'boot', [0, 4, 23, 1], 'nBOOT1', 'With BOOT0 high: 1 boots the system bootloader, 0 boots SRAM1.'),
    field('sram_pe', 'user', [0, 4, 24, 1], 'SRAM parity', 'Inverted: 0 enables the SRAM1/CCM SRAM parity check.'),
    field('ccmsram_rst', 'user', [0, 4, 25, 1], 'CCM SRAM erase on reset', 'Inverted: 0 erases CCM SRAM on a system reset.'),
    field('nswboot0', 'boot', [0, 4, 26, 1], 'Software BOOT0 (nSWBOOT0)', '0 takes BOOT0 from nBOOT0 instead of the pin.'),
    field('nboot0', 'boot', [0, 4, 27, 1], 'nBOOT0', 'BOOT0 value used when nSWBOOT0 is 0.'),
    field('nrst_mode', 'user', [0, 4, 28, 2], 'NRST pin mode', 'How the NRST pin behaves.', { choices: NRST_MODE }),
    field('irhen', 'user', [0, 4, 30, 1], 'Internal reset holder', '1: internal resets drive the NRST pin low.'),
    field('pcrop1_strt', 'write-protection', [8, 4, 0, 15], 'PCROP start', 'Start of the read-out protected (execute-only) area, in double words.', { kind: 'number', meaningOf: doubleWordMeaning }),
    field('pcrop1_end', 'write-protection', [16, 4, 0, 15], 'PCROP end', 'End of the read-out protected area, in double words.', { kind: 'number', meaningOf: doubleWordMeaning }),
    field('pcrop_rdp', 'read-protection', [16, 4, 31, 1], 'Erase PCROP on RDP regression', '1: lowering RDP from 1 to 0 also erases the PCROP area.'),
    ...wrpFields(1, 24, 7),
    field('sec_size1', 'other', [40, 4, 0, 8], 'Securable area size', 'Number of pages of the securable area of bank 1.', { kind: 'number' }),
    field('boot_lock', 'boot', [40, 4, 16, 1], 'Boot lock', '1 forces boot from main flash whatever the boot pins say.', { editable: false }),
  ],
  complements: doubleWordComplements(6),
  guards: [nBoot1Guard, bootPinGuard('nswboot0', 0), pcropGuard(1), ...wrpAreaGuards(1)],
};

/**
 * Category 2 G4 (G431/G441): the bootloader's option-byte alt is 40 bytes (`/0x1FFF7800/01*40Be`),
 * the five slots up to WRP1BR; the securable-area slot at +0x28 is not in it, so its fields are
 * left out rather than the whole block shown as raw bytes. These parts are single-bank, so the
 * dual-bank bits are read-only here [unverified against RM0440's category 2 OPTR].
 */
const g4FortyByteLayout: OptionLayout = {
  ...g4Layout,
  title: 'STM32G4 option bytes (40-byte block)',
  minSize: 40,
  // G431/G441 have one bank: BFB2 and DBANK are shown as read but not offered for editing.
  fields: g4Layout.fields.filter((f) => f.offset + f.width <= 40).map((f) => (f.id === 'bfb2' || f.id === 'dbank' ? { ...f, editable: false } : f)),
  complements: doubleWordComplements(5),
};

const g4Bank2Layout: OptionLayout = {
  title: 'STM32G4 option bytes, bank 2',
  families: ['G4'],
  address: 0x1ffff800,
  minSize: 48,
  fields: [
    field('pcrop2_strt', 'write-protection', [8, 4, 0, 15], 'PCROP bank 2 start', 'Start of the bank-2 read-out protected area, in double words.', { kind: 'number', meaningOf: doubleWordMeaning }),
    field('pcrop2_end', 'write-protection', [16, 4, 0, 15], 'PCROP bank 2 end', 'End of the bank-2 read-out protected area, in double words.', { kind: 'number', meaningOf: doubleWordMeaning }),
    ...wrpFields(2, 24, 7),
    field('sec_size2', 'other', [40, 4, 0, 8], 'Securable area size, bank 2', 'Number of pages of the securable area of bank 2.', { kind: 'number' }),
  ],
  complements: doubleWordComplements(6).slice(1),
  notes: ['Slot 0 of the bank-2 block holds no option and is kept as read.'],
  guards: [pcropGuard(2), ...wrpAreaGuards(2)],
};

const g0Layout: OptionLayout = {
  title: 'STM32G0 option bytes',
  families: ['G0'],
  address: 0x1fff7800,
  minSize: 40,
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 4, 0, 8]),
    field('bor_en', 'user', [0, 4, 8, 1], 'Brown-out reset', '1 enables the brown-out reset with the levels below.'),
    field('borf_lev', 'user', [0, 4, 9, 2], 'BOR falling threshold', 'Threshold (0-3, ~2.0 to ~2.8 V) at which a falling supply resets the chip.', { kind: 'number' }),
    field('borr_lev', 'user', [0, 4, 11, 2], 'BOR rising threshold', 'Threshold (0-3, ~2.1 to ~2.9 V) a rising supply must pass to leave reset.', { kind: 'number' }),
    ...commonOptr(13),
    field('ram_parity_check', 'user', [0, 4, 22, 1], 'SRAM parity', 'Inverted: 0 enables the SRAM parity check.'),
    field('nboot_sel', 'boot', [0, 4, 24, 1], 'Boot source select (nBOOT_SEL)', '1 takes BOOT0 from nBOOT0 instead of the pin.'),
    field('nboot1', 'boot', [0, 4, 25, 1], 'nBOOT1', 'With BOOT0 high: 1 boots the system bootloader, 0 boots SRAM.'),
    field('nboot0', 'boot', [0, 4, 26, 1], 'nBOOT0', 'BOOT0 value used when nBOOT_SEL is 1.'),
    field('nrst_mode', 'user', [0, 4, 27, 2], 'NRST pin mode', 'How the NRST pin behaves.', { choices: NRST_MODE }),
    field('irhen', 'user', [0, 4, 29, 1], 'Internal reset holder', '1: internal resets drive the NRST pin low.'),
    ...wrpFields(1, 24, 7),
  ],
  complements: doubleWordComplements(5),
  guards: [nBoot1Guard, bootPinGuard('nboot_sel', 1), ...wrpAreaGuards(1)],
  notes: ['G0 slot layout (PCROP1A at +0x08/+0x10, WRP1A/B at +0x18/+0x20) from a public G0 programmer; complements assumed as on L4/G4.'],
};

// H7: the "Option Bytes" alt maps the flash option registers from FLASH_OPTSR_CUR (0x5200201C,
// reference §2.5). Register offsets from the STM32H7 FLASH_TypeDef, OPTSR bits from the CMSIS
// header (verified). Fields come from the *_PRG registers, which are the ones a write changes.
// That the bootloader maps the registers one-to-one in this order is [unverified].
const H7_BASE = 0x5200201c;
const h7Offset = (registerOffset: number) => registerOffset - (H7_BASE - 0x52002000);

const h7Layout: OptionLayout = {
  title: 'STM32H7 option registers',
  families: ['H7'],
  address: H7_BASE,
  minSize: h7Offset(0x48),
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([h7Offset(0x20), 4, 8, 8]),
    field('bor_lev', 'user', [h7Offset(0x20), 4, 2, 2], 'Brown-out reset level', 'Supply threshold for the brown-out reset (0 = off, 1-3 = levels 1-3).', { kind: 'number' }),
    field('iwdg1_sw', 'user', [h7Offset(0x20), 4, 4, 1], 'Independent watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('nrst_stop_d1', 'user', [h7Offset(0x20), 4, 6, 1], 'Reset on D1 Stop', 'Whether the D1 domain entering Stop resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stby_d1', 'user', [h7Offset(0x20), 4, 7, 1], 'Reset on D1 Standby', 'Whether the D1 domain entering Standby resets the chip.', { choices: resetOn('Standby') }),
    field('fz_iwdg_stop', 'user', [h7Offset(0x20), 4, 17, 1], 'Watchdog in Stop', '0 freezes the independent watchdog in Stop mode, 1 keeps it running.'),
    field('fz_iwdg_sdby', 'user', [h7Offset(0x20), 4, 18, 1], 'Watchdog in Standby', '0 freezes the independent watchdog in Standby mode, 1 keeps it running.'),
    field('st_ram_size', 'other', [h7Offset(0x20), 4, 19, 2], 'ST secure RAM size', 'RAM reserved for ST secure services; only meaningful with SECURITY set.', { kind: 'number', editable: false }),
    field('security', 'other', [h7Offset(0x20), 4, 21, 1], 'Security', 'Secure access mode; enabling it cannot be undone from DFU.', { editable: false }),
    field('io_hslv', 'user', [h7Offset(0x20), 4, 29, 1], 'I/O high speed at low voltage', '1 allows high-speed I/O below 2.7 V; only when VDD stays below 2.7 V.'),
    field('swap_bank', 'boot', [h7Offset(0x20), 4, 31, 1], 'Swap banks', '1 swaps bank 1 and bank 2 in the memory map.'),
    field('wpsn', 'write-protection', [h7Offset(0x3c), 4, 0, 8], 'Sector write protection, bank 1 (WPSN)', 'One bit per 128 KB sector; a 0 bit protects that sector.', {
      kind: 'mask',
      units: { per: 'sector', firstSector: 0, protectedWhen: 0 },
    }),
    field('boot_add0', 'boot', [h7Offset(0x44), 4, 0, 16], 'Boot address 0 (BOOT0 low)', 'Boot address bits 31:16 (0x0800 = flash at 0x08000000).', {
      kind: 'number',
      meaningOf: (value) => bootsFrom(value * 0x1_0000, H7_SYSTEM_MEMORY),
    }),
    field('boot_add1', 'boot', [h7Offset(0x44), 4, 16, 16], 'Boot address 1 (BOOT0 high)', 'Boot address bits 31:16 used when the BOOT0 pin is high (0x1FF0 = system memory, the DFU bootloader).', {
      kind: 'number',
      meaningOf: (value) => bootsFrom(value * 0x1_0000, H7_SYSTEM_MEMORY),
    }),
  ],
  complements: [],
  guards: [bootAddressGuard(SYSTEM_BOOT_ADDRESS.H7, 0x1_0000, H7_SYSTEM_MEMORY)],
};

// U5: the "Option Bytes" alt (`/0x40022040/01*64 e`) maps the flash option registers from FLASH_OPTR.
// Register order (OPTR, NSBOOTADD0R, NSBOOTADD1R, SECBOOTADD0R, SECWM1R1, SECWM1R2, WRP1AR, WRP1BR,
// SECWM2R1, SECWM2R2, WRP2AR, WRP2BR, then the write-only OEM key registers) and every bit position
// from ST's CMSIS header stm32u585xx.h (cmsis-device-u5 v1.4.2, FLASH_TypeDef and FLASH_*_Pos), cross-
// checked with Apache NuttX arch/arm/src/stm32u5/hardware/stm32_flash.h; the meaning of each value
// from ST's stm32u5xx_hal_flash_ex.h (OB_* defines). System bootloader at 0x0BF90000 (AN2606, as used
// by public jump-to-bootloader code). Registers, not option-byte memory: no complements.
const U5_BASE = 0x40022040;
const U5_SYSTEM_MEMORY = 0x0bf9_0000;
/** NSBOOTADDx / SECBOOTADD0 hold address bits 31:7. */
const U5_BOOT_UNIT = 0x80;
const u5Offset = (registerOffset: number) => registerOffset - 0x40;

const U5_RDP_CHOICES = [
  RDP_CHOICES[0]!,
  { value: 0x55, label: 'Level 0.5: TrustZone on, only non-secure debug (counted as level 1 here)' },
  RDP_CHOICES[1]!,
  RDP_CHOICES[2]!,
];

const U5_UNLOCK = ON_OFF('Area locked: its start and end pages cannot be changed', 'Area unlocked: can be changed');

/** Where a U5 boot address points, in words. */
const u5BootMeaning = (value: number) => bootsFrom(value * U5_BOOT_UNIT, U5_SYSTEM_MEMORY);

/** Main flash (up to 4 MB at 0x08000000) or the system memory: somewhere code that boots can be. */
function isU5BootTarget(address: number): boolean {
  return (address >= FLASH_BASE && address < FLASH_BASE + 0x40_0000) || (address >= U5_SYSTEM_MEMORY && address < U5_SYSTEM_MEMORY + 0x1_0000);
}

/**
 * NSBOOTADD1 (used with BOOT0 high): anything but the system memory takes the BOOT0 path away from
 * the DFU bootloader. NSBOOTADD0 (BOOT0 low): any change moves where the firmware starts, and an
 * address outside flash and system memory starts nothing (a raw block from a file is checked for that).
 */
const u5BootAddressGuards: OptionGuard[] = [
  {
    fields: ['nsbootadd1'],
    risk: (after) => {
      const value = after.get('nsbootadd1');
      return value !== undefined && value * U5_BOOT_UNIT !== U5_SYSTEM_MEMORY
        ? `NSBOOTADD1 = ${formatAddress(value * U5_BOOT_UNIT)}: with BOOT0 high the chip ${u5BootMeaning(value)}, not from the DFU bootloader (${formatAddress(U5_SYSTEM_MEMORY)})`
        : undefined;
    },
  },
  {
    fields: ['nsbootadd0'],
    risk: (after, before) => {
      const value = after.get('nsbootadd0');
      if (value === undefined) return undefined;
      if (before ? before.get('nsbootadd0') === value : isU5BootTarget(value * U5_BOOT_UNIT)) return undefined;
      return `NSBOOTADD0 = ${formatAddress(value * U5_BOOT_UNIT)}: with BOOT0 low the chip ${u5BootMeaning(value)}; if nothing runnable is there the firmware does not start and DFU is reached only through BOOT0 high`;
    },
  },
];

const tzenGuard = whenSet(
  'tzen',
  1,
  'TZEN = 1 turns TrustZone on: flash and RAM split into secure and non-secure addresses (the memory map changes), and only a read-protection regression (level 1 back to 0, which mass-erases the flash) turns it off again',
);

const u5UnlockGuards: OptionGuard[] = (['1a', '1b', '2a', '2b'] as const).map((area) => ({
  fields: [`wrp${area}_unlock`],
  risk: (after) =>
    after.get(`wrp${area}_unlock`) === 0
      ? `WRP${area.toUpperCase()}R UNLOCK = 0 locks area WRP${area.toUpperCase()}: its start and end pages can no longer be changed from here (ST's HAL calls this the lock of the write-protected area; what undoes it is not verified here)`
      : undefined,
}));

/** WRPxyR: start page bits 6:0, end page bits 22:16, UNLOCK bit 31 (7-bit pages: 128 pages of 8 KB per bank). */
const u5WrpFields = (bank: 1 | 2, offsetA: number) =>
  (['a', 'b'] as const).flatMap((area, i) => {
    const name = `WRP${bank}${area.toUpperCase()}`;
    const at = offsetA + 4 * i;
    return [
      field(`wrp${bank}${area}_strt`, 'write-protection', [at, 4, 0, 7], `${name} start page (bank ${bank})`, `First page of write-protected area ${area.toUpperCase()} of bank ${bank}; no protection when start is above end.`, {
        kind: 'number',
        bitName: `${name}_PSTRT`,
        meaningOf: pageMeaning,
      }),
      field(`wrp${bank}${area}_end`, 'write-protection', [at, 4, 16, 7], `${name} end page (bank ${bank})`, `Last page of write-protected area ${area.toUpperCase()} of bank ${bank}.`, {
        kind: 'number',
        bitName: `${name}_PEND`,
        meaningOf: pageMeaning,
      }),
      field(`wrp${bank}${area}_unlock`, 'write-protection', [at, 4, 31, 1], `${name} unlock`, '0 locks the start and end pages of this area.', { choices: U5_UNLOCK, bitName: 'UNLOCK' }),
    ];
  });

const u5Layout: OptionLayout = {
  title: 'STM32U5 option registers',
  families: ['U5'],
  address: U5_BASE,
  minSize: u5Offset(0x70),
  rdp: { level0: 0xaa, level2: 0xcc },
  fields: [
    rdpField([0, 4, 0, 8], U5_RDP_CHOICES),
    field('bor_lev', 'user', [0, 4, 8, 3], 'Brown-out reset level', 'Supply voltage below which the chip is held in reset.', { choices: L4_BOR }),
    field('nrst_stop', 'user', [0, 4, 12, 1], 'Reset on Stop', 'Whether entering Stop mode resets the chip.', { choices: resetOn('Stop') }),
    field('nrst_stdby', 'user', [0, 4, 13, 1], 'Reset on Standby', 'Whether entering Standby mode resets the chip.', { choices: resetOn('Standby') }),
    field('nrst_shdw', 'user', [0, 4, 14, 1], 'Reset on Shutdown', 'Whether entering Shutdown mode resets the chip.', { choices: resetOn('Shutdown') }),
    field('sram_rst', 'user', [0, 4, 15, 1], 'SRAM erase on reset', 'Inverted: 0 erases the SRAMs (all but SRAM2 and backup SRAM) on a system reset.'),
    field('iwdg_sw', 'user', [0, 4, 16, 1], 'Independent watchdog', 'Whether the independent watchdog starts by itself at reset.', { choices: watchdog }),
    field('iwdg_stop', 'user', [0, 4, 17, 1], 'Watchdog in Stop', '0 freezes the independent watchdog in Stop mode, 1 keeps it running.'),
    field('iwdg_stdby', 'user', [0, 4, 18, 1], 'Watchdog in Standby', '0 freezes the independent watchdog in Standby mode, 1 keeps it running.'),
    field('wwdg_sw', 'user', [0, 4, 19, 1], 'Window watchdog', 'Whether the window watchdog is enabled by hardware (0) or software (1).'),
    field('swap_bank', 'boot', [0, 4, 20, 1], 'Swap banks', '1 swaps bank 1 and bank 2 in the memory map.'),
    field('dualbank', 'user', [0, 4, 21, 1], 'Dual bank (DUALBANK)', '1 MB / 512 KB parts: 1 splits the flash into two banks.'),
    field('bkpram_ecc', 'user', [0, 4, 22, 1], 'Backup SRAM ECC', 'Inverted: 0 enables ECC on the backup SRAM.'),
    field('sram3_ecc', 'user', [0, 4, 23, 1], 'SRAM3 ECC', 'Inverted: 0 enables ECC on SRAM3.'),
    field('sram2_ecc', 'user', [0, 4, 24, 1], 'SRAM2 ECC', 'Inverted: 0 enables ECC on SRAM2.'),
    field('sram2_rst', 'user', [0, 4, 25, 1], 'SRAM2 erase on reset', 'Inverted: 0 erases SRAM2 on a system reset.'),
    field('nswboot0', 'boot', [0, 4, 26, 1], 'Software BOOT0 (nSWBOOT0)', '0 takes BOOT0 from nBOOT0 instead of the pin.'),
    field('nboot0', 'boot', [0, 4, 27, 1], 'nBOOT0', 'BOOT0 value used when nSWBOOT0 is 0.'),
    field('pa15_pupen', 'user', [0, 4, 28, 1], 'PA15 pull-up', '1 enables the PA15 (JTAG TDI) pull-up; 0 leaves the USB-PD dead-battery pull-down on.'),
    field('io_vdd_hslv', 'user', [0, 4, 29, 1], 'I/O high speed at low VDD', '1 allows high-speed I/O at low voltage; only when VDD stays below 2.5 V.'),
    field('io_vddio2_hslv', 'user', [0, 4, 30, 1], 'I/O high speed at low VDDIO2', '1 allows high-speed I/O at low VDDIO2; only when VDDIO2 stays below 2.5 V.'),
    field('tzen', 'other', [0, 4, 31, 1], 'TrustZone (TZEN)', '1 enables TrustZone; only a read-protection regression disables it again.'),
    field('nsbootadd0', 'boot', [u5Offset(0x44), 4, 7, 25], 'Boot address 0 (BOOT0 low)', 'Non-secure boot address bits 31:7 (0x100000 = flash at 0x08000000).', { kind: 'number', bitName: 'NSBOOTADD0', meaningOf: u5BootMeaning }),
    field('nsbootadd1', 'boot', [u5Offset(0x48), 4, 7, 25], 'Boot address 1 (BOOT0 high)', 'Non-secure boot address bits 31:7 used when BOOT0 is high (0x17F200 = 0x0BF90000, the DFU bootloader).', { kind: 'number', bitName: 'NSBOOTADD1', meaningOf: u5BootMeaning }),
    field('boot_lock', 'boot', [u5Offset(0x4c), 4, 0, 1], 'Boot lock (BOOT_LOCK)', 'TrustZone only: locks the secure boot address. Read-only here.', {
      choices: ON_OFF('Boot lock off', 'Boot lock on (secure boot address fixed)'),
      editable: false,
    }),
    field('secbootadd0', 'boot', [u5Offset(0x4c), 4, 7, 25], 'Secure boot address 0', 'TrustZone only: secure boot address bits 31:7. Read-only here.', { kind: 'number', editable: false, meaningOf: u5BootMeaning }),
    ...u5WrpFields(1, u5Offset(0x58)),
    ...u5WrpFields(2, u5Offset(0x68)),
  ],
  complements: [],
  notes: [
    'RDP 0x55 (level 0.5, TrustZone only) is counted as level 1: lowering it to 0xAA asks for the mass-erase confirmation.',
    'The secure watermark and hide-protection registers (SECWMxR1/R2) and the OEM key registers are kept as read; they have no fields here.',
    'WRP page numbers are 7 bits (128 pages per bank, STM32U575/U585); parts with 256 pages per bank (U59x/U5Ax) use 8 bits, not modelled.',
  ],
  guards: [bootPinGuard('nswboot0', 0), tzenGuard, ...u5BootAddressGuards, ...wrpAreaGuards(1), ...wrpAreaGuards(2), ...u5UnlockGuards],
};

const LAYOUTS: readonly OptionLayout[] = [
  f0Layout('F0'),
  f0Layout('F1'),
  f0Layout('F3'),
  f4Layout,
  f4Bank2Layout,
  f7Layout,
  l0Layout,
  l1Layout,
  l4Layout,
  g0Layout,
  g4Layout,
  g4FortyByteLayout,
  g4Bank2Layout,
  h7Layout,
  u5Layout,
];

// Where the RDP byte sits for a known option-byte address, for families without a full table.
const RDP_BY_ADDRESS: ReadonlyArray<readonly [number, number]> = [
  [0x1ffff800, 0],
  [0x1ff80000, 0],
  [0x1fff7800, 0],
  [0x1fff8000, 0],
  [0x40022040, 0],
  [0x1fffc000, 1],
  [0x1fff0000, 1],
  [H7_BASE, 1],
];

// ---------------------------------------------------------------------------------------------
// Decode / encode

function readWord(raw: Uint8Array, offset: number, width: Width): number {
  let value = 0;
  for (let i = width - 1; i >= 0; i--) value = value * 256 + (raw[offset + i] ?? 0);
  return value;
}

function writeWord(raw: Uint8Array, offset: number, width: Width, value: number): void {
  let rest = value;
  for (let i = 0; i < width; i++) {
    raw[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

const maxOf = (bits: number) => 2 ** bits - 1;
const allOnes = (width: Width) => 2 ** (8 * width) - 1;

function readField(raw: Uint8Array, spec: FieldSpec): number {
  return Math.floor(readWord(raw, spec.offset, spec.width) / 2 ** spec.shift) % 2 ** spec.bits;
}

function writeField(raw: Uint8Array, spec: FieldSpec, value: number): void {
  const word = readWord(raw, spec.offset, spec.width);
  const unit = 2 ** spec.shift;
  const old = readField(raw, spec);
  writeWord(raw, spec.offset, spec.width, word - old * unit + value * unit);
}

function locationOf(address: number, spec: FieldSpec): string {
  const wordAddress = formatAddress(address + spec.offset);
  const high = spec.shift + spec.bits - 1;
  return spec.bits === 1 ? `${wordAddress} bit ${spec.shift}` : `${wordAddress} bits ${high}:${spec.shift}`;
}

/**
 * The table for a block: where several fit the family and address (G4: 48 or 40 bytes), the
 * largest one the block is long enough for; a block shorter than all of them gets the first (and
 * is shown as raw bytes).
 */
function findLayout(family: Stm32Family, address: number, size: number): OptionLayout | undefined {
  const matching = LAYOUTS.filter((layout) => layout.address === address && layout.families.includes(family));
  const fitting = matching.filter((layout) => layout.minSize <= size).sort((a, b) => b.minSize - a.minSize);
  return fitting[0] ?? matching[0];
}

function rdpLevelOf(value: number, rdp: RdpSpec): 0 | 1 | 2 {
  if (value === rdp.level0) return 0;
  if (rdp.level2 !== undefined && value === rdp.level2) return 2;
  return 1;
}

function complementProblems(raw: Uint8Array, layout: OptionLayout): string[] {
  const problems: string[] = [];
  for (const pair of layout.complements) {
    if (pair.complementOffset + pair.width > raw.length) continue;
    const value = readWord(raw, pair.offset, pair.width);
    const complement = readWord(raw, pair.complementOffset, pair.width);
    const ones = allOnes(pair.width);
    if (value + complement === ones) continue;
    if (pair.erasedIsValid && value === ones && complement === ones) continue;
    const digits = pair.width * 2;
    const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
    problems.push(
      `${pair.name}: ${hex(value)} and its complement ${hex(complement)} do not match; the chip treats this option as invalid (option-byte error) until it is rewritten`,
    );
  }
  return problems;
}

/**
 * Decodes the bytes read from the "Option Bytes" alt at `address`. Unknown families or addresses
 * still decode: the raw bytes are kept and RDP is shown when its position is known. `context`
 * (the device's main flash) names the sectors of write-protection masks and makes the bits that
 * exist only on some parts of a family editable where the layout shows that part.
 */
export function decodeOptionBytes(family: Stm32Family, address: number, raw: Uint8Array, context: OptionContext = {}): DecodedOptionBytes {
  const copy = raw.slice();
  const layout = findLayout(family, address, copy.length);
  if (!layout || copy.length < layout.minSize) {
    return decodeRawOnly(family, address, copy, layout);
  }
  const values = new Map(layout.fields.map((spec) => [spec.id, readField(copy, spec)]));
  const fields: OptionField[] = layout.fields.map((spec) => {
    const value = values.get(spec.id)!;
    const units = spec.units ? unitsOf(spec, value, values, context) : undefined;
    return {
      id: spec.id,
      label: spec.label,
      bitName: spec.bitName,
      description: spec.description,
      group: spec.group,
      value,
      meaning: meaningOf(spec, value, units, layout),
      kind: spec.kind,
      ...(spec.choices ? { choices: spec.choices.map((c) => ({ ...c })) } : {}),
      ...(units ? { units } : {}),
      editable: typeof spec.editable === 'function' ? spec.editable(context) : spec.editable,
      location: locationOf(address, spec),
      maxValue: maxOf(spec.bits),
    };
  });
  const warnings = complementProblems(copy, layout);
  const rdpField = fields.find((f) => f.id === 'rdp');
  let rdpLevel: 0 | 1 | 2 = 0;
  if (layout.rdp && rdpField) rdpLevel = rdpLevelOf(rdpField.value, layout.rdp);
  if (layout === h7Layout) {
    const current = readWord(copy, 0, 4);
    const toProgram = readWord(copy, h7Offset(0x20), 4);
    // OPTSR_CUR and OPTSR_PRG differ only while a change waits for OPTSTART (RM0433 §4.4).
    const statusBits = 0x1 | 0x40000000;
    if ((current & ~statusBits) >>> 0 !== (toProgram & ~statusBits) >>> 0) {
      warnings.push('FLASH_OPTSR_CUR and FLASH_OPTSR_PRG differ: a change is pending; fields show the values to program');
    }
  }
  return { family, address, raw: copy, fields, rdpLevel, hasRdp: layout.rdp !== undefined, layout: layout.title, warnings };
}

/** The sectors (or 4 KB groups) a mask field's bits stand for, and which are protected now. */
function unitsOf(spec: FieldSpec, value: number, values: ReadonlyMap<string, number>, context: OptionContext): ProtectionUnit[] {
  const unit = spec.units!;
  const mode = unit.modeField !== undefined ? values.get(unit.modeField) : undefined;
  const isReadProtection = mode === 1;
  const protectedWhen = unit.per === 'sector' && unit.flipsPolarity && isReadProtection ? ((1 - unit.protectedWhen) as 0 | 1) : unit.protectedWhen;
  const units: ProtectionUnit[] = [];
  for (let bit = 0; bit < spec.bits; bit++) {
    const bitValue = Math.floor(value / 2 ** bit) % 2;
    units.push({ bit, label: unitLabel(unit, bit, context), protectedWhen, isProtected: bitValue === protectedWhen, protection: isReadProtection ? 'read' : 'write' });
  }
  return units;
}

function unitLabel(unit: UnitSpec, bit: number, context: OptionContext): string {
  const range = (start: number, end: number) => `${formatAddress(start)}-${formatAddress(end - 1)}`;
  if (unit.per === 'bytes') {
    const start = FLASH_BASE + (unit.firstUnit + bit) * unit.size;
    return `Sector ${unit.firstUnit + bit} (${range(start, start + unit.size)})`;
  }
  const index = unit.firstSector + bit;
  const sector = context.flash ? sectorByIndex(context.flash, index) : undefined;
  return sector ? `Sector ${index} (${range(sector.start, sector.end)})` : `Sector ${index}`;
}

/** The value in words, for the table and the confirmation ("Software watchdog -> Hardware watchdog"). */
function meaningOf(spec: FieldSpec, value: number, units: readonly ProtectionUnit[] | undefined, layout: OptionLayout): string {
  if (units) {
    const protectedUnits = units.filter((unit) => unit.isProtected);
    if (protectedUnits.length === 0) return 'nothing protected';
    const kind = protectedUnits[0]!.protection === 'read' ? 'read-protected (PCROP, execute only)' : 'write-protected';
    const names = protectedUnits.map((unit) => unit.label.replace(/ \(.*\)$/, '').replace(/^Sector /, ''));
    return protectedUnits.length === units.length ? `all ${units.length} sectors ${kind}` : `sector${names.length > 1 ? 's' : ''} ${names.join(', ')} ${kind}`;
  }
  const choice = spec.choices?.find((c) => c.value === value);
  if (choice) return choice.label;
  if (spec.id === 'rdp' && layout.rdp) return RDP_CHOICES[rdpLevelOf(value, layout.rdp)]!.label;
  if (spec.meaningOf) return spec.meaningOf(value);
  if (spec.choices) return `${hexOf(value)}: no defined meaning`;
  return value > 9 ? `${value} (${hexOf(value)})` : String(value);
}

const hexOf = (value: number) => `0x${value.toString(16).toUpperCase()}`;

function decodeRawOnly(family: Stm32Family, address: number, raw: Uint8Array, layout: OptionLayout | undefined): DecodedOptionBytes {
  const warnings = [
    layout
      ? `${layout.title} need at least ${layout.minSize} bytes, got ${raw.length}: shown as raw bytes`
      : `no option-byte table for ${family} at ${formatAddress(address)}: shown as raw bytes`,
  ];
  const rdpOffset = RDP_BY_ADDRESS.find(([at]) => at === address)?.[1];
  const fields: OptionField[] = [];
  let rdpLevel: 0 | 1 | 2 = 0;
  let hasRdp = false;
  if (rdpOffset !== undefined && rdpOffset < raw.length) {
    const value = raw[rdpOffset]!;
    // 0xAA/0xCC mean level 0/2 on every family except F1 (0xA5), which has a table above.
    rdpLevel = rdpLevelOf(value, { level0: 0xaa, level2: 0xcc });
    hasRdp = true;
    fields.push({
      id: 'rdp',
      label: 'Read protection (RDP)',
      bitName: 'RDP',
      meaning: RDP_CHOICES[rdpLevel]!.label,
      description: '0xAA = level 0, 0xCC = level 2 (permanent), any other value = level 1.',
      group: 'read-protection',
      value,
      kind: 'enum',
      choices: RDP_CHOICES.map((c) => ({ ...c })),
      editable: false,
      location: `${formatAddress(address + rdpOffset)} bits 7:0`,
      maxValue: 0xff,
    });
  }
  return { family, address, raw, fields, rdpLevel, hasRdp, layout: 'raw bytes (no field table)', warnings };
}

function optionError(reason: string, fieldId?: string): DfuError {
  return new DfuError({ kind: 'option-bytes', ...(fieldId !== undefined ? { field: fieldId } : {}), reason });
}

/**
 * Applies `changes` (field id -> new value) to the decoded bytes and returns the image to write.
 * Reserved bits keep the values read; every complement pair is rewritten to match its value.
 * Refuses RDP level 2 without confirm.permanentlyLockChip and RDP 1 -> 0 without
 * confirm.iUnderstandTheFlashIsErased (DfuError 'confirmation-required').
 */
export function encodeOptionBytes(
  decoded: DecodedOptionBytes,
  changes: Record<string, number>,
  confirm: OptionBytesConfirmation = {},
): Uint8Array {
  const layout = findLayout(decoded.family, decoded.address, decoded.raw.length);
  const raw = decoded.raw.slice();
  if (!layout || raw.length < layout.minSize) {
    if (Object.keys(changes).length > 0) {
      throw optionError(`no option-byte table for ${decoded.family} at ${formatAddress(decoded.address)}; fields cannot be changed`);
    }
    return raw;
  }
  for (const [id, value] of Object.entries(changes)) {
    const spec = layout.fields.find((f) => f.id === id);
    if (!spec) throw optionError(`${layout.title} have no field "${id}"`, id);
    const decodedField = decoded.fields.find((f) => f.id === id);
    if (!decodedField?.editable) throw optionError(`${spec.label} cannot be changed from here${decodedField ? `: ${decodedField.description}` : ''}`, id);
    if (!Number.isInteger(value) || value < 0 || value > maxOf(spec.bits)) {
      throw optionError(`${spec.label} must be a whole number from 0 to ${maxOf(spec.bits)}, got ${value}`, id);
    }
    if (spec.choices && !spec.anyValue && !spec.choices.some((c) => c.value === value)) {
      throw optionError(`${spec.label} must be one of ${spec.choices.map((c) => c.value).join(', ')}, got ${value}`, id);
    }
    writeField(raw, spec, value);
  }
  for (const pair of layout.complements) {
    if (pair.complementOffset + pair.width > raw.length) continue;
    const value = readWord(raw, pair.offset, pair.width);
    const ones = allOnes(pair.width);
    const wasErased = pair.erasedIsValid && value === ones && readWord(decoded.raw, pair.offset, pair.width) === ones && readWord(raw, pair.complementOffset, pair.width) === ones;
    if (!wasErased) writeWord(raw, pair.complementOffset, pair.width, ones - value);
  }
  const rdpSpec = layout.fields.find((f) => f.id === 'rdp');
  if (layout.rdp && rdpSpec) {
    const before = rdpLevelOf(readField(decoded.raw, rdpSpec), layout.rdp);
    const after = rdpLevelOf(readField(raw, rdpSpec), layout.rdp);
    if (after === 2 && !confirm.permanentlyLockChip) {
      throw new DfuError({
        kind: 'confirmation-required',
        action: 'permanent-lock',
        reason: 'RDP level 2 disables debug and the DFU bootloader for good; the chip can never be reprogrammed over USB again',
      });
    }
    if (before === 1 && after === 0 && !confirm.iUnderstandTheFlashIsErased) {
      throw new DfuError({
        kind: 'confirmation-required',
        action: 'read-unprotect',
        reason: 'lowering RDP from level 1 to 0 mass-erases the flash',
      });
    }
  }
  return raw;
}

/** The problems a raw option-byte image has (complement mismatches), without decoding fields. */
export function validateOptionBytes(family: Stm32Family, address: number, raw: Uint8Array): string[] {
  const layout = findLayout(family, address, raw.length);
  return layout ? complementProblems(raw, layout) : [];
}

/** Families and addresses with a field table (for docs and the UI). */
export function optionByteLayouts(): {
  title: string;
  families: readonly Stm32Family[];
  address: number;
  size: number;
  notes: readonly string[];
  /** The fields each lock-out guard looks at, one list per guard (masks with units are guarded too). */
  guards: readonly (readonly string[])[];
}[] {
  return LAYOUTS.map((l) => ({ title: l.title, families: l.families, address: l.address, size: l.minSize, notes: l.notes ?? [], guards: (l.guards ?? []).map((g) => g.fields) }));
}

/**
 * What a planned block (`after`) risks besides RDP: the guards of its layout, plus every sector a
 * write-protection or PCROP mask newly protects. With `before` (the block on the chip now) only
 * what changes is listed; without it (a raw block from a file) every risky setting is.
 */
export function lockoutRisks(after: DecodedOptionBytes, before?: DecodedOptionBytes): LockoutRisk[] {
  const layout = findLayout(after.family, after.address, after.raw.length);
  if (!layout || after.raw.length < layout.minSize) return [];
  const valuesOf = (block: DecodedOptionBytes) => new Map(block.fields.map((f) => [f.id, f.value]));
  const afterValues = valuesOf(after);
  const beforeValues = before ? valuesOf(before) : undefined;
  const risks: LockoutRisk[] = [];
  for (const guard of layout.guards ?? []) {
    const consequence = guard.risk(afterValues, beforeValues);
    if (consequence === undefined) continue;
    if (beforeValues && guard.risk(beforeValues, undefined) === consequence && guard.fields.every((id) => beforeValues.get(id) === afterValues.get(id))) continue;
    risks.push({ fields: guard.fields, consequence, isIrreversible: guard.isIrreversible ?? false });
  }
  for (const field of after.fields) {
    if (!field.units) continue;
    const previous = before?.fields.find((f) => f.id === field.id)?.units;
    const newly = field.units.filter((unit) => unit.isProtected && !(previous?.[unit.bit]?.isProtected === true && previous[unit.bit]!.protection === unit.protection));
    if (newly.length === 0) continue;
    const read = newly[0]!.protection === 'read';
    const names = newly.map((unit) => unit.label).join(', ');
    risks.push({
      fields: [field.id],
      consequence: read
        ? `${field.bitName} read-protects (PCROP) ${names}: they become execute-only, cannot be read or verified over DFU, and only a read-protection regression (mass erase) clears it`
        : `${field.bitName} write-protects ${names}: DFU cannot erase or program them until the protection is removed here`,
      isIrreversible: false,
    });
  }
  return risks;
}
