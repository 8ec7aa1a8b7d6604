// STM32 facts the engine needs, as data: per-family flash behaviour, where the option bytes and the
// flash-size register live, how to guess the family from what the bootloader reports, the quirks
// table (each entry citing its source) and the known cases where the descriptor overstates flash.
import { formatAddress, formatSize } from '../format.js';
import type { AddressRange } from '../image/memoryImage.js';
import { parseMemoryLayout, regionRange, type MemoryRegion } from '../dfuse/memoryLayout.js';
import type { DescriptorQuirkId } from './dfuseQuirks.js';

export type Stm32Family =
  | 'F0' | 'F1' | 'F2' | 'F3' | 'F4' | 'F7' | 'L0' | 'L1' | 'L4' | 'G0' | 'G4' | 'H7' | 'WB' | 'U5' | 'L5' | 'unknown';

export const ST_VENDOR_ID = 0x0483;
export const ST_DFU_PRODUCT_ID = 0xdf11;
export const FLASH_BASE = 0x08000000;

export interface FamilyFacts {
  readonly family: Stm32Family;
  /** "STM32L0" */
  readonly label: string;
  /** Value of erased flash: 0x00 on L0/L1 (EEPROM-style NVM, reference §5.1), 0xFF elsewhere. */
  readonly erasedValue: 0x00 | 0xff;
  /** Smallest unit the flash programs at once; chunks are aligned and padded to it. */
  readonly programUnitBytes: number;
  /**
   * What programming flash that is not erased does:
   * - keep-old: the write is refused by the flash controller and the old data stays (L0/L1 NOTZEROERR, F0/F1/F3 PGERR)
   * - and: bits can only go from 1 to 0, so the result is old AND new (F2/F4/F7, RM0090)
   * - ecc-error: the flash word carries ECC and cannot be programmed twice (L4/G0/G4/WB/L5/U5/H7)
   */
  readonly rewriteBehaviour: 'keep-old' | 'and' | 'ecc-error';
  /** Start of the option bytes as the DFU "Option Bytes" alt shows them. */
  readonly optionBytesAddress?: number;
  readonly optionBytesSize?: number;
  /** Second option-byte block on dual-bank parts (F42x/F43x bank 2, G47x/G48x). */
  readonly secondOptionBytesAddress?: number;
  /** True when the "Option Bytes" alt maps flash registers rather than memory (H7, L5, U5). */
  readonly optionBytesAreRegisters: boolean;
  /** 16-bit flash-size register (F_SIZE, in KiB) of the most common parts; see flashSizeRegisterFor(). */
  readonly flashSizeRegister?: number;
  /** SRAM that can hold the initial stack pointer (upper bounds across the family, for sanity checks). */
  readonly ramRanges: readonly AddressRange[];
  /** Data EEPROM (L0/L1 "DATA Memory" alt). */
  readonly dataEepromAddress?: number;
}

const K = 1024;
const ram = (start: number, sizeBytes: number): AddressRange => ({ start, end: start + sizeBytes });

// Flash-size register addresses: RM0091/RM0008/RM0090/RM0385/RM0377/RM0038/RM0351/RM0444/RM0440/
// RM0433/RM0438/RM0456 "Flash size data register", cross-checked against OpenOCD and stlink device
// tables. Option-byte addresses: reference §5.2. Program units and erased values: reference §5.
// RAM sizes are the largest member of each family (datasheets), used only to judge whether an
// image's initial stack pointer is plausible.
const FAMILIES: Readonly<Record<Stm32Family, FamilyFacts>> = {
  F0: {
    family: 'F0', label: 'STM32F0', erasedValue: 0xff, programUnitBytes: 2, rewriteBehaviour: 'keep-old',
    optionBytesAddress: 0x1ffff800, optionBytesSize: 16, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ffff7cc, ramRanges: [ram(0x20000000, 32 * K)],
  },
  F1: {
    family: 'F1', label: 'STM32F1', erasedValue: 0xff, programUnitBytes: 2, rewriteBehaviour: 'keep-old',
    optionBytesAddress: 0x1ffff800, optionBytesSize: 16, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ffff7e0, ramRanges: [ram(0x20000000, 96 * K)],
  },
  F2: {
    family: 'F2', label: 'STM32F2', erasedValue: 0xff, programUnitBytes: 4, rewriteBehaviour: 'and',
    optionBytesAddress: 0x1fffc000, optionBytesSize: 16, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff7a22, ramRanges: [ram(0x20000000, 128 * K)],
  },
  F3: {
    family: 'F3', label: 'STM32F3', erasedValue: 0xff, programUnitBytes: 2, rewriteBehaviour: 'keep-old',
    optionBytesAddress: 0x1ffff800, optionBytesSize: 16, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ffff7cc, ramRanges: [ram(0x20000000, 80 * K), ram(0x10000000, 16 * K)],
  },
  F4: {
    family: 'F4', label: 'STM32F4', erasedValue: 0xff, programUnitBytes: 4, rewriteBehaviour: 'and',
    optionBytesAddress: 0x1fffc000, optionBytesSize: 16, secondOptionBytesAddress: 0x1ffec000, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff7a22, ramRanges: [ram(0x20000000, 384 * K), ram(0x10000000, 64 * K)],
  },
  F7: {
    family: 'F7', label: 'STM32F7', erasedValue: 0xff, programUnitBytes: 4, rewriteBehaviour: 'and',
    optionBytesAddress: 0x1fff0000, optionBytesSize: 48, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ff0f442, ramRanges: [ram(0x20000000, 512 * K)],
  },
  L0: {
    family: 'L0', label: 'STM32L0', erasedValue: 0x00, programUnitBytes: 4, rewriteBehaviour: 'keep-old',
    optionBytesAddress: 0x1ff80000, optionBytesSize: 32, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ff8007c, ramRanges: [ram(0x20000000, 20 * K)], dataEepromAddress: 0x08080000,
  },
  L1: {
    family: 'L1', label: 'STM32L1', erasedValue: 0x00, programUnitBytes: 4, rewriteBehaviour: 'keep-old',
    optionBytesAddress: 0x1ff80000, optionBytesSize: 32, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1ff800cc, ramRanges: [ram(0x20000000, 80 * K)], dataEepromAddress: 0x08080000,
  },
  L4: {
    family: 'L4', label: 'STM32L4', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x1fff7800, optionBytesSize: 40, secondOptionBytesAddress: 0x1ffff800, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff75e0, ramRanges: [ram(0x20000000, 640 * K), ram(0x10000000, 64 * K)],
  },
  G0: {
    family: 'G0', label: 'STM32G0', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x1fff7800, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff75e0, ramRanges: [ram(0x20000000, 144 * K)],
  },
  G4: {
    family: 'G4', label: 'STM32G4', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x1fff7800, optionBytesSize: 48, secondOptionBytesAddress: 0x1ffff800, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff75e0, ramRanges: [ram(0x20000000, 128 * K), ram(0x10000000, 32 * K)],
  },
  H7: {
    family: 'H7', label: 'STM32H7', erasedValue: 0xff, programUnitBytes: 32, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x5200201c, optionBytesSize: 128, optionBytesAreRegisters: true,
    flashSizeRegister: 0x1ff1e880,
    // DTCM, AXI SRAM (up to 1 MiB on H7A3), SRAM1-3 in D2.
    ramRanges: [ram(0x20000000, 128 * K), ram(0x24000000, 1024 * K), ram(0x30000000, 288 * K)],
  },
  WB: {
    // OB address and size from an STM32CubeProgrammer DFU log on a WB55 (ST community): 0x1FFF8000, 128 bytes.
    family: 'WB', label: 'STM32WB', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x1fff8000, optionBytesSize: 128, optionBytesAreRegisters: false,
    flashSizeRegister: 0x1fff75e0, ramRanges: [ram(0x20000000, 256 * K)],
  },
  L5: {
    family: 'L5', label: 'STM32L5', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x40022040, optionBytesSize: 48, optionBytesAreRegisters: true,
    flashSizeRegister: 0x0bfa05e0, ramRanges: [ram(0x20000000, 256 * K), ram(0x30000000, 256 * K)],
  },
  U5: {
    family: 'U5', label: 'STM32U5', erasedValue: 0xff, programUnitBytes: 16, rewriteBehaviour: 'ecc-error',
    optionBytesAddress: 0x40022040, optionBytesSize: 64, optionBytesAreRegisters: true,
    flashSizeRegister: 0x0bfa07a0, ramRanges: [ram(0x20000000, 2560 * K), ram(0x30000000, 2560 * K)],
  },
  unknown: {
    // Conservative defaults: 0xFF erased, 8-byte alignment satisfies every ST program unit but H7/U5.
    family: 'unknown', label: 'unknown STM32', erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error',
    optionBytesAreRegisters: false, ramRanges: [ram(0x20000000, 2560 * K)],
  },
};

export function familyFacts(family: Stm32Family): FamilyFacts {
  return FAMILIES[family];
}

export const stm32Families: readonly Stm32Family[] = Object.keys(FAMILIES) as Stm32Family[];

/**
 * The F_SIZE address for this part: a few families moved it between lines.
 * F72x/F73x: 0x1FF07A22 (RM0431); F74x-F77x: 0x1FF0F442. L1 Cat.1/2 (≤ 128 KiB): 0x1FF8004C; Cat.3+: 0x1FF800CC (RM0038).
 * H7A3/H7B3: 0x08FFF80C (RM0455); other H7: 0x1FF1E880 (RM0433).
 */
export function flashSizeRegisterFor(family: Stm32Family, flash?: MemoryRegion): number | undefined {
  const facts = FAMILIES[family];
  if (!flash) return facts.flashSizeRegister;
  const firstSector = flash.segments[0]?.sectorSize;
  const range = regionRange(flash);
  if (family === 'F7' && firstSector === 16 * K) return 0x1ff07a22;
  if (family === 'L1' && range.end - range.start <= 128 * K) return 0x1ff8004c;
  // H7A3/H7B3/H7B0 (8 KiB sectors): 0x08FFF80C (RM0455; OpenOCD stm32h7x.c and stlink's chip table).
  if (family === 'H7' && firstSector === 8 * K) return 0x08fff80c;
  return facts.flashSizeRegister;
}

/**
 * Whether the ROM bootloader's DfuSe mass erase (DNLOAD of 0x41 alone) is known to work on a family.
 * 'known' means a public tool uses it there; elsewhere it is unverified, so the planner never
 * chooses it by itself and an explicit mass erase carries a warning.
 */
export interface MassEraseSupport {
  readonly support: 'known' | 'unverified';
  readonly source: string;
}

const MASS_ERASE_KNOWN: Readonly<Partial<Record<Stm32Family, string>>> = {
  F4: "dfu-util dfuse.c waits 35 s after the F405's mass erase; Betaflight's DFU \"full chip erase\" sends it on F4 flight controllers",
  F7: "Betaflight's DFU \"full chip erase\" (usbdfu.js, DNLOAD 0x41) on F7 flight controllers",
  H7: "Betaflight's DFU \"full chip erase\" (usbdfu.js, DNLOAD 0x41) on H7 flight controllers",
};

/**
 * Whether a sector that reads blank (only the erased value) may be programmed without erasing it,
 * so that the executor may skip its erase (core/dfuse/blankCheck.ts). Only where the flash has no
 * ECC and decides from the cells' value alone: F2/F4 (cells only go from 1 to 0, RM0090) and
 * F0/F1/F3 (PGERR when a half-word does not read 0xFFFF, RM0008/RM0091). Not with ECC (L4, G0, G4,
 * H7, WB, L5, U5): a word written with the erased value reads blank but carries ECC bits and cannot
 * be written again until erased. Not on L0/L1 either: their flash has ECC too (datasheets), erased
 * reads 0x00, and whether a word written with zeros can be written again is contradictory in public
 * reports; a refused word there keeps its old value without an error (the founding failure). Not on
 * F7 (no ECC is assumed but unchecked against RM0385) or unknown parts (GD32, AT32). Sources:
 * docs/engine.md, "Blank sectors are not erased".
 */
const BLANK_MEANS_ERASED: Readonly<Partial<Record<Stm32Family, string>>> = {
  F0: 'flash without ECC, and PGERR refuses a half-word only when it does not read 0xFFFF (RM0091)',
  F1: 'flash without ECC, and PGERR refuses a half-word only when it does not read 0xFFFF (RM0008)',
  F3: 'flash without ECC, and PGERR refuses a half-word only when it does not read 0xFFFF (RM0316)',
  F2: 'flash without ECC: a cell that reads 1 is erased and can be programmed (RM0033)',
  F4: 'flash without ECC: a cell that reads 1 is erased and can be programmed (RM0090)',
};

export function blankSectorCheck(family: Stm32Family): { readonly isSafe: boolean; readonly reason: string } {
  const safe = BLANK_MEANS_ERASED[family];
  if (safe) return { isSafe: true, reason: safe };
  const label = FAMILIES[family].label;
  if (family === 'L0' || family === 'L1') {
    return { isSafe: false, reason: `${label} flash has ECC and a word written with zeros reads blank; whether it can be written again is not established` };
  }
  if (FAMILIES[family].rewriteBehaviour === 'ecc-error') {
    return { isSafe: false, reason: `${label} flash has ECC: a word written with the erased value reads blank but cannot be written again until erased` };
  }
  return { isSafe: false, reason: `not established for ${label} flash` };
}

/** Public hints against a mass erase where no tool is known to use one (docs/virtual-usb.md §8). */
const MASS_ERASE_DOUBTS: Readonly<Partial<Record<Stm32Family, string>>> = {
  L0: 'no public tool is known to use the DfuSe mass erase on STM32L0 bootloaders, the L0 flash has no mass-erase operation, and an STM32L052 USART bootloader (V3.1) refuses its mass erase',
  L1: 'no public tool is known to use the DfuSe mass erase on STM32L1 bootloaders, and AN2606 says the STM32L15xxx medium-density bootloader does not support a mass erase',
};

export function massEraseSupport(family: Stm32Family): MassEraseSupport {
  const source = MASS_ERASE_KNOWN[family];
  return source
    ? { support: 'known', source }
    : { support: 'unverified', source: MASS_ERASE_DOUBTS[family] ?? `no public tool is known to use the DfuSe mass erase on ${FAMILIES[family].label} bootloaders` };
}

// ---------------------------------------------------------------------------------------------
// Family guess

export interface FamilyGuessInput {
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly product?: string;
  readonly serialNumber?: string;
  /** Raw alt-setting strings, e.g. "@Internal Flash  /0x08000000/1536*128g". */
  readonly alternateNames: readonly string[];
}

// DBGMCU device IDs as printed by old bootloaders ("STM32 0x418 DFU Bootloader", reference §1.4).
// IDs from AN2606 and the reference manuals' DBGMCU_IDCODE sections (also in OpenOCD's tables).
const DEVICE_IDS: Readonly<Record<number, Stm32Family>> = {
  0x440: 'F0', 0x442: 'F0', 0x444: 'F0', 0x445: 'F0', 0x448: 'F0',
  0x410: 'F1', 0x412: 'F1', 0x414: 'F1', 0x418: 'F1', 0x420: 'F1', 0x428: 'F1', 0x430: 'F1',
  0x411: 'F2',
  0x422: 'F3', 0x432: 'F3', 0x438: 'F3', 0x439: 'F3', 0x446: 'F3',
  0x413: 'F4', 0x419: 'F4', 0x421: 'F4', 0x423: 'F4', 0x431: 'F4', 0x433: 'F4', 0x434: 'F4', 0x441: 'F4', 0x458: 'F4', 0x463: 'F4',
  0x449: 'F7', 0x451: 'F7', 0x452: 'F7',
  0x417: 'L0', 0x425: 'L0', 0x447: 'L0', 0x457: 'L0',
  0x416: 'L1', 0x427: 'L1', 0x429: 'L1', 0x436: 'L1', 0x437: 'L1',
  0x415: 'L4', 0x435: 'L4', 0x461: 'L4', 0x462: 'L4', 0x464: 'L4', 0x470: 'L4', 0x471: 'L4',
  0x456: 'G0', 0x460: 'G0', 0x466: 'G0', 0x467: 'G0',
  0x468: 'G4', 0x469: 'G4', 0x479: 'G4',
  0x450: 'H7', 0x480: 'H7', 0x483: 'H7',
  0x495: 'WB', 0x496: 'WB',
  0x472: 'L5',
  0x455: 'U5', 0x476: 'U5', 0x481: 'U5', 0x482: 'U5',
};

interface ParsedAlternate {
  readonly raw: string;
  readonly region: MemoryRegion;
}

function parseQuietly(names: readonly string[]): ParsedAlternate[] {
  const out: ParsedAlternate[] = [];
  for (const raw of names) {
    try {
      out.push({ raw, region: parseMemoryLayout(raw).region });
    } catch {
      // A string that is not a layout tells us nothing about the family.
    }
  }
  return out;
}

const isNamed = (pattern: RegExp) => (alt: ParsedAlternate) => pattern.test(alt.region.name);

/**
 * Best guess of the STM32 family from what the bootloader reports. Order of evidence: the
 * device ID in old product strings, then the option-byte address (it differs per family, §5.2),
 * then flash geometry and bcdDevice to split families that share an option-byte address.
 */
export function guessFamily(input: FamilyGuessInput): { family: Stm32Family; reason: string } {
  if (input.vendorId !== ST_VENDOR_ID) {
    return { family: 'unknown', reason: `vendor ID 0x${input.vendorId.toString(16).padStart(4, '0')} is not STMicroelectronics (GD32 and AT32 ROMs mimic DfuSe)` };
  }
  const idMatch = /0x([0-9a-f]{3})/i.exec(input.product ?? '');
  if (idMatch) {
    const family = DEVICE_IDS[Number.parseInt(idMatch[1]!, 16)];
    if (family) return { family, reason: `product string "${input.product ?? ''}" names device ID 0x${idMatch[1]!.toLowerCase()}` };
  }

  const alternates = parseQuietly(input.alternateNames);
  const flash = alternates.find(isNamed(/internal flash/i))?.region;
  const optionBytes = alternates.find(isNamed(/option/i));
  const hasDataMemory = alternates.some(isNamed(/data memory|eeprom/i));
  const obAddress = optionBytes?.region.segments[0]?.start;
  const pageSize = flash?.segments[0]?.sectorSize;
  const ob = obAddress === undefined ? '' : `option bytes at ${formatAddress(obAddress)}`;

  switch (obAddress) {
    case 0x1ff80000: {
      // L0 and L1 share the OB address; L0 flash has 128-byte pages, L1 256-byte ones (RM0377, RM0038).
      if (pageSize === 128) return { family: 'L0', reason: `${ob} and 128-byte flash pages` };
      if (pageSize === 256) return { family: 'L1', reason: `${ob} and 256-byte flash pages` };
      const data = alternates.find(isNamed(/data memory/i))?.region;
      const dataSize = data ? regionRange(data).end - regionRange(data).start : 0;
      if (dataSize === 6 * K) return { family: 'L0', reason: `${ob} and 6 KiB of data EEPROM (L07x/L08x)` };
      return { family: 'L0', reason: `${ob} (L0 or L1; flash pages not recognised)` };
    }
    case 0x1fffc000:
      return { family: 'F4', reason: `${ob} (F2/F4; both follow the same rules)` };
    case 0x1ffec000:
      return { family: 'F4', reason: `${ob} (F42x/F43x second bank)` };
    case 0x1fff0000:
      return { family: 'F7', reason: ob };
    case 0x1fff8000:
      return { family: 'WB', reason: ob };
    case 0x5200201c:
      return { family: 'H7', reason: `${ob} (FLASH_OPTSR registers)` };
    case 0x40022040: {
      if (pageSize === 8 * K) return { family: 'U5', reason: `${ob} and 8 KiB flash pages` };
      return { family: 'L5', reason: `${ob} (L5 or U5; flash pages are not 8 KiB)` };
    }
    case 0x1fff7800:
      return guessL4G0G4(input, optionBytes!, alternates, ob);
    case 0x1ffff800: {
      // F0/F1/F3 share OB layout and flash rules. F1 BLs write the UM0290 widths (128*002Kg),
      // F0/F3 BLs zero-pad to 4 digits (064*0002Kg, reference §3.4).
      const flashRaw = alternates.find(isNamed(/internal flash/i))?.raw ?? '';
      if (/\*\d{3}[KBM ]?[a-g]/.test(flashRaw) && !/\*\d{4}/.test(flashRaw)) return { family: 'F1', reason: `${ob} and 3-digit sector sizes` };
      if (pageSize === 1 * K) return { family: 'F0', reason: `${ob} and 1 KiB pages` };
      // F07x/F09x have 2 KiB pages like F3; their BLs give themselves away by the serial number
      // "FFFFFFFEFFFF" that every F0 BL reports (reference §1.4).
      if (input.serialNumber === 'FFFFFFFEFFFF') return { family: 'F0', reason: `${ob} and the F0 bootloaders' serial number FFFFFFFEFFFF` };
      return { family: 'F3', reason: `${ob} (F0/F1/F3; all follow the same rules)` };
    }
    default:
      break;
  }
  if (flash && pageSize === 128 && hasDataMemory) return { family: 'L0', reason: 'no option-byte alt; 128-byte pages and a DATA Memory alt' };
  return { family: 'unknown', reason: obAddress === undefined ? 'no option-byte alt setting to tell the family by' : `unrecognised ${ob}` };
}

/**
 * L4, G0 and G4 all show their option bytes at 0x1FFF7800, and L47x/L49x and G47x/G48x both add a
 * bank-2 block at 0x1FFFF800, so the block count says nothing (the L476 and the G474 both send two).
 * What does differ (reference §1.4, §3.4, §5.2):
 * - the block size: 40 bytes on L4 (`01*040 e`), 48 on G47x/G48x (`01*048 e`); the G431 also has
 *   40 (`01*40Be`, and an ST community post where dfu-util reads 40 bytes there);
 * - the bootloader generation: L4 BLs are the older one (bcdDevice 0x2200, iProduct
 *   "STM32  BOOTLOADER", zero-padded fields such as `0256*0002Kg`); G0/G4 BLs are the newer one
 *   (bcdDevice 0x0200, "DFU in FS Mode", `256*02Kg`);
 * - G0: a 128-byte block (RM0444; CubeProgrammer on a G0C1), or 68 + 4 bytes on the G0B0
 *   (CubeProgrammer log on the ST community).
 */
function guessL4G0G4(input: FamilyGuessInput, optionBytes: ParsedAlternate, alternates: readonly ParsedAlternate[], ob: string): { family: Stm32Family; reason: string } {
  const sizes = optionBytes.region.segments.map((s) => s.end - s.start);
  const blocks = `${sizes.join(' + ')} bytes`;
  const flashRaw = alternates.find(isNamed(/internal flash/i))?.raw ?? '';
  const olderGeneration: string[] = [];
  if (input.bcdDevice >= 0x2000) olderGeneration.push(`bcdDevice 0x${input.bcdDevice.toString(16)}`);
  if (/^STM32\s+BOOTLOADER$/i.test((input.product ?? '').trim())) olderGeneration.push(`product "${input.product ?? ''}"`);
  if (/\/0\d{3}\*|\*0\d{3}/.test(flashRaw)) olderGeneration.push('zero-padded flash fields');
  const newer = `newer BL generation (bcdDevice 0x${input.bcdDevice.toString(16)})`;

  if (sizes.some((size) => size === 48)) return { family: 'G4', reason: `${ob}, ${blocks} (48-byte blocks are G47x/G48x; L4 blocks are 40 bytes)` };
  if (olderGeneration.length > 0) return { family: 'L4', reason: `${ob}, ${blocks}; older BL generation (${olderGeneration.join(', ')})` };
  if (sizes.every((size) => size === 40)) return { family: 'G4', reason: `${ob}, ${blocks} and a ${newer} (G431-style 40-byte block)` };
  return { family: 'G0', reason: `${ob}, ${blocks} and a ${newer}` };
}

// ---------------------------------------------------------------------------------------------
// Quirks

export type QuirkId =
  | 'error-state-at-connect'
  | 'stall-when-polled-early'
  | 'mass-erase-timeout'
  | 'stuck-busy-after-erase'
  | 'no-status-after-leave'
  | 'descriptor-overstates-flash'
  // Descriptor quirks (dfuseQuirks.ts): listed on DeviceInfo.quirks like the ones above.
  | DescriptorQuirkId;

export interface QuirkMatch {
  readonly vendorId?: number;
  readonly productId?: number;
  /** Any of these bootloader versions; absent = all. */
  readonly bcdDevice?: readonly number[];
  /** Any of these families; absent = all. */
  readonly families?: readonly Stm32Family[];
}

export interface Quirk {
  readonly id: QuirkId;
  readonly match: QuirkMatch;
  /** What the host must do about it. */
  readonly handling: string;
  /** Where the quirk was seen (cited). */
  readonly why: string;
  /** Numbers the engine needs for this quirk. */
  readonly params?: {
    readonly massEraseTimeoutMs?: number;
    readonly stallsCountedAsBusy?: number;
    readonly clearStatusRequests?: number;
  };
}

export const quirks: readonly Quirk[] = [
  {
    id: 'error-state-at-connect',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID },
    handling: 'CLRSTATUS when the first GETSTATUS reports dfuERROR; ABORT from DNLOAD-IDLE/UPLOAD-IDLE; retry until dfuIDLE',
    why: 'dfu-util device logs (F4 Discovery, BigClown L0, bt.tn L1) show "state = dfuERROR, status = 10" at first contact; dfu-util and pydfu clear it (reference §2.8 item 1)',
  },
  {
    id: 'stall-when-polled-early',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['L4'] },
    handling: 'treat a STALLed GETSTATUS during an erase as "still busy" (up to 3 times) and poll again after the last timeout',
    why: 'dfu-util dfuse.c: some STM32L4 bootloaders report a too-short bwPollTimeout and STALL GETSTATUS while a page erase runs; dfu-util counts up to 3 pipe stalls as busy (reference §1.3)',
    params: { stallsCountedAsBusy: 3 },
  },
  {
    id: 'mass-erase-timeout',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['F2', 'F4', 'F7'] },
    handling: 'allow 35 s for a mass erase whatever bwPollTimeout says',
    why: 'dfu-util dfuse.c: the STM32F405 reports 100 ms for a mass erase the datasheet says takes up to 32 s; dfu-util waits 35 s. Applied to F2/F7 too because they share the F4 sector flash (inference)',
    params: { massEraseTimeoutMs: 35_000 },
  },
  {
    id: 'stuck-busy-after-erase',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['H7'] },
    handling: 'after waiting out the poll timeout, send CLRSTATUS twice (errUNKNOWN/dfuERROR, then OK/dfuIDLE) and carry on',
    why: 'Betaflight usbdfu.js: some STM32H743 rev V bootloaders stay in dfuDNBUSY after a page erase; STM32CubeProgrammer gets them out with two CLRSTATUS requests (reference §1.3)',
    params: { clearStatusRequests: 2 },
  },
  {
    id: 'no-status-after-leave',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['H7'] },
    handling: 'count a failed or missing GETSTATUS after the leave request as success',
    why: 'dfu-util output on H743/H750/H7A3 ends with "Error during download get_status" after "Submitting leave request"; the NuttX docs tell users to ignore it (reference §2.6)',
  },
  {
    id: 'no-status-after-leave',
    match: { vendorId: 0x28e9 },
    handling: 'count a failed or missing GETSTATUS after the leave request as success',
    why: 'dfu-util quirks.c: QUIRK_DFUSE_LEAVE for GigaDevice GD32 DfuSe ROMs, which leave without answering GETSTATUS (reference §2.6)',
  },
  {
    id: 'descriptor-overstates-flash',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['L0'] },
    handling: 'read F_SIZE (0x1FF8007C) or let the user set a limit; never erase or write above the real flash end',
    why: 'ST community (Matthijs Kooijman): the L072xB bootloader reports 1536*128 (192 KB) while F_SIZE says 128 KB, and erasing above 128 KB hangs it; HHKB recovery notes: access at or above 0x08020000 crashed the device (reference §7.1)',
  },
  {
    id: 'descriptor-overstates-flash',
    match: { vendorId: ST_VENDOR_ID, productId: ST_DFU_PRODUCT_ID, families: ['H7'] },
    handling: 'read F_SIZE (0x1FF1E880) or let the user set a limit',
    why: 'a WeAct "STM32H750" board reports 16*128Kg (2 MB), the same string as an H743, although the H750 is specified with 128 KB (NuttX docs, reference §2.8 item 6 and §8)',
  },
];

export function quirksFor(device: { vendorId: number; productId: number; bcdDevice: number; family: Stm32Family }): Quirk[] {
  return quirks.filter(
    ({ match }) =>
      (match.vendorId === undefined || match.vendorId === device.vendorId) &&
      (match.productId === undefined || match.productId === device.productId) &&
      (match.bcdDevice === undefined || match.bcdDevice.includes(device.bcdDevice)) &&
      (match.families === undefined || match.families.includes(device.family)),
  );
}

// ---------------------------------------------------------------------------------------------
// Real flash size

/** Descriptor strings known to claim more flash than some parts that send them have. */
export interface FlashOverstatement {
  readonly family: Stm32Family;
  /** The flash alt-setting string, whitespace-insensitive. */
  readonly descriptor: string;
  readonly claimedBytes: number;
  /** The smaller parts that send it ("STM32L072xB/L082xB"). */
  readonly parts: string;
  readonly realBytes: number;
  /** The parts that really have the claimed size and send the same string. */
  readonly sameStringAs: string;
  /** What is wrong above the real end on the smaller parts ("... there"). */
  readonly risk: string;
  readonly source: string;
}

export const knownFlashOverstatements: readonly FlashOverstatement[] = [
  {
    family: 'L0', descriptor: '@Internal Flash /0x08000000/1536*128g', claimedBytes: 192 * K,
    parts: 'STM32L072xB/L082xB', realBytes: 128 * K, sameStringAs: 'the 192 KiB L072xZ/L073xZ/L082xZ/L083xZ',
    risk: 'the part has no flash there and erasing it hangs the bootloader',
    source: 'ST community (M. Kooijman, F_SIZE reads 128 KB); reference §7.1',
  },
  {
    family: 'H7', descriptor: '@Internal Flash /0x08000000/16*128Kg', claimedBytes: 2048 * K,
    parts: 'STM32H750', realBytes: 128 * K, sameStringAs: 'the 2 MiB H743',
    risk: 'ST does not guarantee any flash there (WeAct H750 boards send this string)',
    source: 'NuttX docs (WeAct H750), Daisy board capture; reference §8',
  },
];

const squeeze = (text: string) => text.replace(/\s+/g, ' ').replace(/ \//g, '/').trim();

/** The known overstatement this family's flash region matches (same name, start and claimed size). */
export function knownFlashOverstatement(family: Stm32Family, region: MemoryRegion): FlashOverstatement | undefined {
  const { start, end } = regionRange(region);
  const canonical = squeeze(`@${region.name}/`);
  return knownFlashOverstatements.find(
    (o) => o.family === family && o.claimedBytes === end - start && squeeze(o.descriptor).startsWith(canonical) && start === FLASH_BASE,
  );
}

/**
 * The DeviceInfo note for a descriptor that some smaller parts also send: the descriptor cannot
 * tell the parts apart, so this is information, not a warning (plan.ts warns when an image
 * actually reaches above the smaller size).
 */
export function flashOverstatementNote(known: FlashOverstatement, region: MemoryRegion): string {
  const { start, end } = regionRange(region);
  const realEnd = formatAddress(start + known.realBytes);
  return (
    `If this is an ${known.parts} (${formatSize(known.realBytes)} of flash), its bootloader describes ${formatSize(end - start)} like ${known.sameStringAs}; ` +
    `from ${realEnd} on, ${known.risk}. The descriptor cannot tell the parts apart: a plan warns only when an image reaches ${realEnd} or above.`
  );
}

export interface FlashLimit {
  /** Exclusive end of the flash that really exists (or the descriptor's end when unknown). */
  readonly end: number;
  /** True when `end` is below what the descriptor claims. */
  readonly isLimited: boolean;
  /** Flash size in bytes according to F_SIZE, when the value was usable. */
  readonly flashSizeBytes?: number;
  /** Something is wrong with what the device reported (F_SIZE below the descriptor, or unusable). */
  readonly warning?: string;
  /** Without F_SIZE: the descriptor is one that smaller parts send too (flashOverstatementNote). */
  readonly note?: string;
}

/**
 * The real end of internal flash. `flashSizeRegisterValue` is the raw 16-bit F_SIZE read from
 * flashSizeRegisterFor() (KiB). Without it, known overstating descriptors get a note.
 */
export function realFlashEnd(input: { family: Stm32Family; region: MemoryRegion; flashSizeRegisterValue?: number }): FlashLimit {
  const { start, end } = regionRange(input.region);
  const claimed = end - start;
  const value = input.flashSizeRegisterValue;
  if (value !== undefined) {
    const kib = value & 0xffff;
    if (kib === 0 || kib === 0xffff) {
      return { end, isLimited: false, warning: `the flash-size register reads 0x${kib.toString(16).toUpperCase()}, which is not a size: keeping the bootloader's ${formatSize(claimed)}` };
    }
    const real = kib * K;
    if (real < claimed) {
      return {
        end: start + real,
        isLimited: true,
        flashSizeBytes: real,
        warning: `the bootloader describes ${formatSize(claimed)} of flash, but the flash-size register says ${formatSize(real)}: addresses from ${formatAddress(start + real)} are treated as absent`,
      };
    }
    return { end, isLimited: false, flashSizeBytes: real };
  }
  const known = knownFlashOverstatement(input.family, input.region);
  if (known) return { end, isLimited: false, note: flashOverstatementNote(known, input.region) };
  return { end, isLimited: false };
}

/**
 * Problems with an image's vector table: the initial stack pointer must point into (or just past)
 * the family's RAM and the reset vector must be a Thumb address inside flash.
 */
export function vectorTableProblems(family: Stm32Family, initialStackPointer: number, resetVector: number, flash: AddressRange): string[] {
  const problems: string[] = [];
  const ranges = FAMILIES[family].ramRanges;
  if (!ranges.some((r) => initialStackPointer > r.start && initialStackPointer <= r.end)) {
    problems.push(`initial stack pointer ${formatAddress(initialStackPointer)} is not in ${FAMILIES[family].label} RAM`);
  }
  if ((resetVector & 1) === 0) problems.push(`reset vector ${formatAddress(resetVector)} is not a Thumb address (bit 0 clear)`);
  if (resetVector < flash.start || resetVector >= flash.end) {
    problems.push(`reset vector ${formatAddress(resetVector)} is outside flash ${formatAddress(flash.start)}-${formatAddress(flash.end)}`);
  }
  return problems;
}
