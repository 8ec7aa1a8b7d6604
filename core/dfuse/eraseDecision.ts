// What a plan erases, decided once: the sectors the image touches, one mass erase (asked for, or
// chosen because it is faster where it is known to work), or a mass erase sent as sector erases
// below a flash-size limit (flashLimit.ts), or nothing.
import { blankSectorCheck, familyFacts } from '../devices/stm32.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { checkLimitOnSectorBoundary, sectorsBelowLimit, type FlashSizeLimit } from './flashLimit.js';
import { checkMassErase } from './massErase.js';
import { regionRange, sectorsIn, type MemoryRegion, type Sector } from './memoryLayout.js';
import type { EraseMode, PlanWarning } from './plan.js';
import { massEraseMs, sectorEraseMs } from './planEstimate.js';
import { fasterMassEraseWarning, massBelowLimitWarning } from './planWarnings.js';

export interface EraseDecision {
  /** 'mass': one mass-erase command; 'touched': `sectors` one by one; 'none': nothing. */
  readonly mode: EraseMode;
  /** Every sector the plan erases, ascending (for a mass erase: all erasable sectors of the region). */
  readonly sectors: readonly Sector[];
  /** A requested mass erase sent as sector erases below a flash-size limit. */
  readonly isMassBelowLimit: boolean;
  readonly warnings: readonly PlanWarning[];
}

export interface EraseInput {
  readonly info: DeviceInfo;
  readonly alternate: number;
  readonly region: MemoryRegion;
  /** The erase mode after the options were resolved ('touched' with nothing erasable is 'none'). */
  readonly requested: EraseMode;
  /** Sectors the image changes (differential leaves the unchanged ones out). */
  readonly toWrite: readonly Sector[];
  readonly limit: FlashSizeLimit | undefined;
  readonly hasUserSize: boolean;
  readonly massEraseWhenFaster: boolean;
}

export function decideErase(input: EraseInput): EraseDecision {
  const { info, region, limit } = input;
  // A limit must end on a sector boundary: the real flash ends with a whole sector.
  if (limit) checkLimitOnSectorBoundary(region, limit);
  const allErasable = region.segments.filter((s) => s.erasable).flatMap((s) => sectorsIn(region, s));
  switch (input.requested) {
    case 'none':
      return { mode: 'none', sectors: [], isMassBelowLimit: false, warnings: [] };
    case 'mass': {
      if (!limit) return { mode: 'mass', sectors: allErasable, isMassBelowLimit: false, warnings: [] };
      // The DfuSe mass erase has no address and the bootloader erases what it describes.
      const sectors = sectorsBelowLimit(region, limit);
      return { mode: 'touched', sectors, isMassBelowLimit: true, warnings: [massBelowLimitWarning(sectors.length, limit, regionRange(region).start)] };
    }
    case 'touched': {
      const touched = input.toWrite.filter((s) => s.segment.erasable);
      const isWholeRegion = touched.length > 1 && touched.length === allErasable.length;
      if (!limit && input.massEraseWhenFaster && isWholeRegion && isMassEraseSafe(info, input.alternate, input.hasUserSize)) {
        const sectorsMs = sectorEraseMs(info.family, touched);
        const massMs = massEraseMs(info.family, allErasable.reduce((n, s) => n + s.end - s.start, 0));
        if (massMs < sectorsMs) {
          return { mode: 'mass', sectors: allErasable, isMassBelowLimit: false, warnings: [fasterMassEraseWarning(allErasable.length, massMs, sectorsMs)] };
        }
      }
      return { mode: 'touched', sectors: touched, isMassBelowLimit: false, warnings: [] };
    }
  }
}

/** The planner picks a mass erase by itself only where it is known to work and the flash size is not in doubt. */
function isMassEraseSafe(info: DeviceInfo, alternate: number, hasUserSize: boolean): boolean {
  try {
    return checkMassErase({ info, alternate, limit: undefined, hasUserSize }).length === 0;
  } catch {
    return false;
  }
}

/**
 * Why the sectors of a plan may not be left un-erased when they read blank (core/dfuse/blankCheck.ts),
 * or undefined when they may: touched sectors of readable flash whose family allows it
 * (blankSectorCheck), compared with the family's own erased value. The planner asks it before
 * setting ProgramPlan.blankCheck and the executor asks it again of the plan it is given.
 */
export function blankCheckRefusal(info: DeviceInfo, eraseMode: EraseMode, sectors: readonly Sector[], erasedValue: number): string | undefined {
  const allowed = blankSectorCheck(info.family);
  if (!allowed.isSafe) return allowed.reason;
  if (eraseMode !== 'touched') return `erase mode ${eraseMode}`;
  if (erasedValue !== familyFacts(info.family).erasedValue) return `the plan's erased value 0x${erasedValue.toString(16)} is not this family's`;
  if (sectors.some((sector) => !sector.segment.readable)) return 'a sector the plan erases is not readable';
  return undefined;
}
