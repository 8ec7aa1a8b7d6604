// Blank sectors are not erased: before erasing a sector of a plan with blankCheck, the executor
// reads it from its start and stops at the first byte that is not the erased value. A sector that
// reads blank to its end is left alone; a fresh chip then needs no erase at all, and a board that
// holds firmware costs one read per sector (the first block already holds data). Reads grow
// (1, 2, 4 ... 32 blocks) while the flash keeps reading blank, and may run on into the next sectors
// of the same run; sectors smaller than a block (the 128-byte pages of an L0) are read 32 blocks
// at a time, since each of them must be read anyway. Only bytes
// of sectors the plan erases anyway are read. Where this is allowed: blankSectorCheck() in
// core/devices/stm32.ts; docs/engine.md, "Blank sectors are not erased".
import { complementIn } from '../image/memoryImage.js';
import type { Sector } from './memoryLayout.js';
import type { ProgramPlan } from './plan.js';
import type { SessionContext } from './sessionContext.js';
import { readRange } from './transfers.js';

const MAX_BLOCKS_PER_READ = 32;

export interface BlankCheckTally {
  /** Bytes read to decide, over every plan of a run. */
  bytesRead: number;
}

export class BlankSectorCheck {
  private blocks = 1;
  /** End of the run of back-to-back plan sectors each sector belongs to (reads never pass it). */
  private readonly runEnd = new Map<number, number>();

  constructor(
    private readonly context: SessionContext,
    private readonly plan: ProgramPlan,
    readonly tally: BlankCheckTally,
  ) {
    let end = -1;
    for (let i = plan.sectors.length - 1; i >= 0; i--) {
      const sector = plan.sectors[i]!;
      const next = plan.sectors[i + 1];
      if (!next || next.start !== sector.end) end = sector.end;
      this.runEnd.set(sector.index, end);
    }
  }

  /** True when every byte of `sector` is the erased value (read now, or known from earlier reads). */
  async isBlank(sector: Sector, signal: AbortSignal | undefined): Promise<boolean> {
    const erased = this.plan.erasedValue;
    for (;;) {
      const known = this.context.known.image.slice(sector);
      const size = this.context.info.functional.transferSize;
      // Sectors smaller than a block (L0/L1 pages): every sector of the run must be read anyway, and
      // a read covers many of them, so read whole pieces; larger sectors start again with one block.
      const isSmall = sector.end - sector.start < size;
      for (const block of known.blocks) {
        if (block.data.some((value) => value !== erased)) {
          if (!isSmall) this.blocks = 1;
          return false;
        }
      }
      const gap = complementIn(sector, known)[0];
      if (!gap) return true;
      if (isSmall) this.blocks = MAX_BLOCKS_PER_READ;
      const end = Math.min(gap.start + this.blocks * size, this.runEnd.get(sector.index) ?? sector.end);
      await readRange(this.context, this.plan.alternate, { start: gap.start, end }, undefined, signal);
      this.tally.bytesRead += end - gap.start;
      this.blocks = Math.min(this.blocks * 2, MAX_BLOCKS_PER_READ);
    }
  }
}
