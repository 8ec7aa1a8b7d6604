// Typical flash operation durations per family, for plan estimates and as the polling strategy's
// first guess before it has measured the device. They are datasheet-order figures (reference §5,
// most marked [unverified] there): never a reason to stop waiting, only a reason to start polling.
import type { Stm32Family } from '../devices/stm32.js';

export interface FamilyTiming {
  /** Fixed part of one page/sector erase. */
  readonly eraseBaseMs: number;
  /** Per KiB of sector erased (F2/F4/F7/H7 sectors grow with size). */
  readonly eraseMsPerKiB: number;
  /** Programming time per KiB written. */
  readonly programMsPerKiB: number;
  /** Whole-flash erase: fixed part plus a part per KiB of flash. F405: "up to 32 seconds" (dfu-util dfuse.c). */
  readonly massEraseBaseMs: number;
  readonly massEraseMsPerKiB: number;
}

// L0/L1: ~3.2 ms per page erase and per half-page (64/128 B) write (RM0377/RM0038 figures); the BL
// mass-erases page by page. F0/F1/F3: 20-40 ms per page or for the whole flash, ~50 us per
// half-word. F2/F4/F7: 16 KB ~0.4 s .. 128 KB ~1.5 s, mass erase ~16 s per MB, ~16 us per word.
// G0/G4/L4/WB/L5/U5: ~22 ms per page or bank, ~85 us per double-word. H7: ~1.5 s per 128 KB
// sector, bank erase ~3 s per MB.
const timings: Record<Stm32Family, FamilyTiming> = {
  L0: { eraseBaseMs: 3.2, eraseMsPerKiB: 0, programMsPerKiB: 51, massEraseBaseMs: 0, massEraseMsPerKiB: 25.6 },
  L1: { eraseBaseMs: 3.2, eraseMsPerKiB: 0, programMsPerKiB: 26, massEraseBaseMs: 0, massEraseMsPerKiB: 12.8 },
  F0: { eraseBaseMs: 30, eraseMsPerKiB: 0, programMsPerKiB: 26, massEraseBaseMs: 40, massEraseMsPerKiB: 0 },
  F1: { eraseBaseMs: 30, eraseMsPerKiB: 0, programMsPerKiB: 30, massEraseBaseMs: 40, massEraseMsPerKiB: 0 },
  F3: { eraseBaseMs: 30, eraseMsPerKiB: 0, programMsPerKiB: 26, massEraseBaseMs: 40, massEraseMsPerKiB: 0 },
  F2: { eraseBaseMs: 150, eraseMsPerKiB: 10, programMsPerKiB: 4, massEraseBaseMs: 0, massEraseMsPerKiB: 16 },
  F4: { eraseBaseMs: 150, eraseMsPerKiB: 10, programMsPerKiB: 4, massEraseBaseMs: 0, massEraseMsPerKiB: 16 },
  F7: { eraseBaseMs: 150, eraseMsPerKiB: 8, programMsPerKiB: 4, massEraseBaseMs: 0, massEraseMsPerKiB: 16 },
  G0: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 11, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  G4: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 11, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  L4: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 11, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  WB: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 11, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  L5: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 11, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  U5: { eraseBaseMs: 22, eraseMsPerKiB: 0, programMsPerKiB: 8, massEraseBaseMs: 50, massEraseMsPerKiB: 0 },
  H7: { eraseBaseMs: 200, eraseMsPerKiB: 10, programMsPerKiB: 2, massEraseBaseMs: 0, massEraseMsPerKiB: 3 },
  unknown: { eraseBaseMs: 30, eraseMsPerKiB: 10, programMsPerKiB: 30, massEraseBaseMs: 0, massEraseMsPerKiB: 30 },
};

export function familyTiming(family: Stm32Family): FamilyTiming {
  return timings[family] ?? timings.unknown;
}

export function typicalEraseMs(family: Stm32Family, sectorBytes: number): number {
  const t = familyTiming(family);
  return t.eraseBaseMs + (t.eraseMsPerKiB * sectorBytes) / 1024;
}

export function typicalMassEraseMs(family: Stm32Family, flashBytes: number): number {
  const t = familyTiming(family);
  return t.massEraseBaseMs + (t.massEraseMsPerKiB * flashBytes) / 1024;
}

export function typicalProgramMs(family: Stm32Family, bytes: number): number {
  return (familyTiming(family).programMsPerKiB * bytes) / 1024;
}

/**
 * USB full speed moves one 64-byte control packet per frame slot at best; ~1 ms of overhead per
 * request plus ~1 us per byte is what ST BLs achieve in practice (dfu-util logs: ~600-900 KB/s
 * uploads). Used only for estimates.
 */
export function typicalTransferMs(bytes: number): number {
  return 1 + bytes / 1024;
}
