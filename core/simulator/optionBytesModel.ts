// Factory option-byte images as a simulated bootloader shows them in its "Option Bytes" alt
// setting, and how the chip reads its read-protection level from them at reset.
// Layouts (reference §5.2): F0/F1/F3 byte + complement byte; L0/L1 16-bit value + complemented
// 16 bits per word; F2/F4 USER and RDP bytes (RM0090 Tables 15-17, no complement checked);
// L4/G4 32-bit value + 32-bit complement per double-word; H7 a register image (FLASH_OPTSR_CUR
// first), no complements.
// RDP (PM0059, RM0432): 0xAA = level 0, 0xCC = level 2, anything else = level 1.
import { readU16LE, readU32LE, writeU16LE, writeU32LE } from '../bytes.js';

/** How a family stores its option bytes, for the simulator's reset-time reading. */
export type OptionBytesLayout = 'f0' | 'f1' | 'f4' | 'f7' | 'l0' | 'l4' | 'h7' | 'u5';

export const RDP_LEVEL_0 = 0xaa;
/** F1 (RM0008 RDPRT) and GD32VF103 (SPC): 0xA5 unprotects, there is no level 2. */
export const F1_RDP_UNPROTECTED = 0xa5;
export const RDP_LEVEL_2 = 0xcc;

export type RdpLevel = 0 | 1 | 2;

function pairs32(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  values.forEach((value, i) => {
    writeU32LE(out, i * 8, value >>> 0);
    writeU32LE(out, i * 8 + 4, ~value >>> 0);
  });
  return out;
}

function words16(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((value, i) => {
    writeU16LE(out, i * 4, value & 0xffff);
    writeU16LE(out, i * 4 + 2, ~value & 0xffff);
  });
  return out;
}

/** F0/F1/F3 at 0x1FFFF800: RDP=0xAA, USER=0xFF, DATA0/1=0xFF, WRP0..3=0xFF (not protected). */
export function f0FactoryOptionBytes(): Uint8Array {
  const values = [RDP_LEVEL_0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  return Uint8Array.from(values.flatMap((value) => [value, ~value & 0xff]));
}

/** F1 / GD32VF103 at 0x1FFFF800: RDP (SPC) 0xA5, then USER, DATA0/1, WRP0..3 = 0xFF, each with its complement. */
export function f1FactoryOptionBytes(): Uint8Array {
  const values = [F1_RDP_UNPROTECTED, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  return Uint8Array.from(values.flatMap((value) => [value, ~value & 0xff]));
}

/**
 * F2/F4 at 0x1FFFC000: USER 0xEC (BOR off, software watchdog, no reset on stop/standby) and RDP,
 * two reserved bytes, then nWRP = 0x0FFF (no sector protected) at +8.
 * `bank2` is the F42x/F43x second block at 0x1FFEC000 (nWRP of sectors 12..23 only).
 */
export function f4FactoryOptionBytes(bank2 = false): Uint8Array {
  const out = new Uint8Array(16).fill(0xff);
  if (!bank2) out.set([0xec, RDP_LEVEL_0, 0x13, 0x55], 0);
  out.set([0xff, 0x0f, 0x00, 0xf0], 8);
  return out;
}

/**
 * L0/L1 at 0x1FF80000, 8 words of value + complement: RDP 0xAA; USER (L0: 0x8070 = nBOOT1,
 * nRST_STDBY, nRST_STOP, WDG_SW; L1: 0x00F8 = BFB2, nRST_STDBY, nRST_STOP, IWDG_SW, BOR off);
 * no write protection.
 */
export function l0FactoryOptionBytes(family: 'L0' | 'L1'): Uint8Array {
  return words16([RDP_LEVEL_0, family === 'L0' ? 0x8070 : 0x00f8, 0, 0, 0, 0, 0, 0]);
}

/**
 * L4/G4 at 0x1FFF7800: FLASH_OPTR 0xFFEFF8AA (factory value in RM0351/RM0440), then PCROP1 start >
 * end and WRP1A/B start > end (nothing protected); G4 adds a sixth double-word (SEC1, nothing secured).
 * `bank2` is the 0x1FFFF800 block of dual-bank parts (PCROP2/WRP2 only).
 */
export function l4FactoryOptionBytes(options: { sizeBytes: 40 | 48; bank2?: boolean }): Uint8Array {
  const first = options.bank2 ? 0xffffffff : 0xffeff8aa;
  const values = [first, 0x0000ffff, 0x00000000, 0x000000ff, 0x000000ff];
  if (options.sizeBytes === 48) values.push(0xff000000);
  return pairs32(values);
}

/**
 * H74x at 0x5200201C (128 B of option registers): OPTSR_CUR/PRG 0x0006AAD0 (RDP 0xAA, IWDG1 and
 * resets in software), protected/secure areas empty, no sector write-protected, BOOT_ADD0 0x0800 /
 * BOOT_ADD1 0x1FF0.
 */
export function h7FactoryOptionBytes(sizeBytes = 128): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  const registers = [0x0006aad0, 0x0006aad0, 0, 0x000000ff, 0x000000ff, 0x000000ff, 0x000000ff, 0x000000ff, 0x000000ff, 0x1ff00800, 0x1ff00800];
  registers.forEach((value, i) => writeU32LE(out, i * 4, value));
  return out;
}

/**
 * F7 at 0x1FFF0000: 16-bit values each followed by their complement, every 8 bytes (the product's
 * table, core/dfuse/optionBytes.ts): USER 0xFF and RDP 0xAA, nWRP 0x00FF with IWDG_STDBY/STOP set,
 * BOOT_ADD0 0x2000 (flash on AXIM) and BOOT_ADD1 0x0040 (system memory); the rest erased.
 */
export function f7FactoryOptionBytes(sizeBytes = 48): Uint8Array {
  const out = new Uint8Array(sizeBytes).fill(0xff);
  [0xaaff, 0xc0ff, 0x2000, 0x0040].forEach((value, i) => {
    writeU16LE(out, i * 8, value);
    writeU16LE(out, i * 8 + 2, ~value & 0xffff);
  });
  return out;
}

/**
 * U5 at 0x40022040 (64 B of option registers, RM0456): FLASH_OPTR with RDP 0xAA in bits 7:0, then
 * boot addresses, watermarks and write protection with nothing protected. Register image, no
 * complements. The WRPxyR words (+0x18, +0x1C, +0x28, +0x2C) are 0xFF80FFFF: start page 0x7F above
 * end page 0 (no area) with UNLOCK set, in the bit layout of ST's stm32u585xx.h; that is the STM32U585
 * default the Trezor firmware's STM32U5 option-byte code checks for. [OPTR, boot addresses and the
 * SECWM words unverified against a factory chip.]
 */
export function u5FactoryOptionBytes(): Uint8Array {
  const out = new Uint8Array(64).fill(0xff);
  const noArea = 0xff80_ffff;
  const registers = [0x1fef_f8aa, 0x0800_007f, 0x0bf9_007f, 0x0c00_007c, 0x0000_007f, 0xff00_ff00, noArea, noArea, 0xffff_ffff, 0xffff_ffff, noArea, noArea];
  registers.forEach((value, i) => writeU32LE(out, i * 4, value));
  return out;
}

/** The RDP value of level 0 (what Read Unprotect writes): 0xA5 on F1-style layouts, 0xAA elsewhere. */
export function rdpLevel0Value(layout: OptionBytesLayout): number {
  return layout === 'f1' ? F1_RDP_UNPROTECTED : RDP_LEVEL_0;
}

/** Offset of the RDP byte in the first option-bytes block. */
export function rdpOffset(layout: OptionBytesLayout): number {
  return layout === 'f4' || layout === 'f7' || layout === 'h7' ? 1 : 0;
}

/**
 * The read-protection level the chip loads at reset. A broken complement counts as level 1, as
 * the option-byte loader does on these families (F1/F0: OPTERR and RDP read as protected).
 */
export function readRdpLevel(layout: OptionBytesLayout, bytes: Uint8Array): RdpLevel {
  const rdp = bytes[rdpOffset(layout)] ?? 0;
  let isConsistent = true;
  switch (layout) {
    case 'f0':
    case 'f1':
      isConsistent = ((bytes[0] ?? 0) ^ (bytes[1] ?? 0)) === 0xff;
      break;
    case 'f4':
    case 'h7':
    case 'u5':
      break;
    case 'f7':
      isConsistent = (readU16LE(bytes, 0) ^ readU16LE(bytes, 2)) === 0xffff;
      break;
    case 'l0':
      isConsistent = (readU16LE(bytes, 0) ^ readU16LE(bytes, 2)) === 0xffff;
      break;
    case 'l4':
      isConsistent = (readU32LE(bytes, 0) ^ readU32LE(bytes, 4)) >>> 0 === 0xffffffff;
      break;
  }
  if (!isConsistent) return 1;
  if (layout === 'f1') return rdp === F1_RDP_UNPROTECTED ? 0 : 1;
  if (rdp === RDP_LEVEL_0) return 0;
  if (rdp === RDP_LEVEL_2) return 2;
  return 1;
}

/** A copy of `bytes` with the RDP byte set to `value` and its complement kept consistent. */
export function withRdp(layout: OptionBytesLayout, bytes: Uint8Array, value: number): Uint8Array {
  const out = bytes.slice();
  out[rdpOffset(layout)] = value & 0xff;
  switch (layout) {
    case 'f0':
    case 'f1':
      out[1] = ~value & 0xff;
      break;
    case 'l0':
    case 'f7':
      writeU16LE(out, 2, ~readU16LE(out, 0) & 0xffff);
      break;
    case 'l4':
      writeU32LE(out, 4, ~readU32LE(out, 0) >>> 0);
      break;
    case 'h7':
      out[5] = value & 0xff; // OPTSR_PRG mirrors OPTSR_CUR
      break;
    case 'f4':
    case 'u5':
      break;
  }
  return out;
}

// H7 option registers as (current, to-program) offsets from 0x5200201C: OPTSR, PRAR1, SCAR1,
// WPSN1, BOOT (RM0433 §4.9). The host writes the _PRG registers; the option-byte load at reset
// copies them into the _CUR ones.
const H7_CURRENT_FROM_PROGRAM: readonly (readonly [current: number, program: number])[] = [
  [0x00, 0x04],
  [0x0c, 0x10],
  [0x14, 0x18],
  [0x1c, 0x20],
  [0x24, 0x28],
];

/** The option bytes after the load at reset (only H7 has separate current/program images). */
export function loadedOptionBytes(layout: OptionBytesLayout, bytes: Uint8Array): Uint8Array {
  if (layout !== 'h7') return bytes;
  const out = bytes.slice();
  for (const [current, program] of H7_CURRENT_FROM_PROGRAM) {
    if (program + 4 <= out.length) writeU32LE(out, current, readU32LE(out, program));
  }
  return out;
}
