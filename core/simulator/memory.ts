// The physical memory behind one alt setting of a simulated bootloader: backing bytes, sectors,
// the erased value and what the hardware does when it is asked to program memory that is not
// erased. These are the chip's facts, kept apart from the product's own device table
// (core/devices/stm32.ts) on purpose: the simulator is the referee, so it must not share the
// engine's beliefs (a wrong belief would then pass every test).

/** What an alt setting is backed by; decides erase/program rules and what a reset touches. */
export type MemoryKind = 'flash' | 'option-bytes' | 'eeprom' | 'otp' | 'feature' | 'system';

/**
 * Programming a unit that is not in the erased state:
 * - 'keep-old': L0/L1. NOTZEROERR, the word keeps its old value, and the bootloader reports
 *   nothing (reference §5.1 and §7.3: the founding failure).
 * - 'and': F2/F4 (RM0090): bits can only go 1 → 0, so the result is old AND new.
 * - 'error': F0/F1/F3 (PGERR when the half-word is not 0xFFFF, RM0091): nothing is written, the
 *   status is an error. The value decides: a half-word that reads 0xFFFF can be written.
 * - 'ecc': L4/G0/G4/H7/L5/U5 (a double-word or flash word carries ECC and is written once): as
 *   'error', and also for a unit written since its erase even when it still reads erased (written
 *   with the erased value).
 * - 'overwrite': option bytes, data EEPROM, register images: the new value replaces the old.
 */
export type RewriteBehaviour = 'keep-old' | 'and' | 'error' | 'ecc' | 'overwrite';

/** One run of equal sectors as the chip really has it (may differ from the descriptor string). */
export interface SegmentSpec {
  readonly start: number;
  readonly sectorSize: number;
  readonly sectorCount: number;
  /** Time to erase one sector of this segment. */
  readonly eraseMs?: number;
  /** Content at power-up (shorter than the segment: the rest is the erased value). */
  readonly initial?: Uint8Array;
}

export interface MemorySpec {
  readonly kind: MemoryKind;
  readonly segments: readonly SegmentSpec[];
  readonly isReadable: boolean;
  readonly isErasable: boolean;
  readonly isWritable: boolean;
  readonly erasedValue: 0x00 | 0xff;
  /** Bytes the hardware programs at once; the rewrite rule applies per unit. */
  readonly programUnit: number;
  readonly rewrite: RewriteBehaviour;
  /** Time to program 1 KiB (plus `programBaseMs` per DNLOAD). */
  readonly programMsPerKiB: number;
  readonly programBaseMs?: number;
  /**
   * Where the silicon really ends when the descriptor claims more (L072xB: the string says 192 KB,
   * F_SIZE says 128 KB; erasing above hangs the bootloader, reference §2.8 item 6).
   */
  readonly realEnd?: number;
}

export interface SectorRef {
  /** Counts from 0 across the whole memory, in address order. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly eraseMs: number;
}

export type ProgramOutcome =
  | { readonly kind: 'ok'; readonly overwroteUnerased: boolean; readonly keptOld: boolean }
  | { readonly kind: 'error'; readonly failedAt: number };

interface BlockStore {
  /** Contiguous segments sharing one backing array (one address block of the descriptor). */
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
  /**
   * Rewrite rule 'ecc': 1 per program unit written since its erase, whatever its value. A
   * unit written with the erased value reads blank, yet its ECC bits are set: it cannot be written
   * again until erased (so "reads blank" does not mean "may be written" there).
   */
  readonly written?: Uint8Array;
}

interface SegmentInfo {
  readonly spec: SegmentSpec;
  readonly end: number;
  /** Global index of the segment's first sector. */
  readonly firstSector: number;
}

export class SimulatedMemory {
  readonly spec: MemorySpec;
  private readonly blocks: BlockStore[] = [];
  private readonly segments: SegmentInfo[] = [];
  /** Per sector, in address order: 1 when erased and not programmed since. */
  private readonly erased: Uint8Array;

  constructor(spec: MemorySpec) {
    this.spec = spec;
    let sectorCount = 0;
    for (const segment of [...spec.segments].sort((a, b) => a.start - b.start)) {
      const end = segment.start + segment.sectorSize * segment.sectorCount;
      this.segments.push({ spec: segment, end, firstSector: sectorCount });
      sectorCount += segment.sectorCount;
    }
    // Group back-to-back segments into blocks, so a region such as F4 flash is one array.
    let index = 0;
    while (index < this.segments.length) {
      const first = this.segments[index]!;
      let end = first.end;
      while (index + 1 < this.segments.length && this.segments[index + 1]!.spec.start === end) {
        index++;
        end = this.segments[index]!.end;
      }
      const size = end - first.spec.start;
      this.blocks.push({
        start: first.spec.start,
        end,
        bytes: new Uint8Array(size).fill(spec.erasedValue),
        ...(spec.rewrite === 'ecc' ? { written: new Uint8Array(Math.ceil(size / Math.max(1, spec.programUnit))) } : {}),
      });
      index++;
    }
    for (const segment of this.segments) {
      if (segment.spec.initial) this.setBytes(segment.spec.start, segment.spec.initial.subarray(0, segment.end - segment.spec.start));
    }
    this.erased = new Uint8Array(sectorCount);
    this.refreshErased(this.start, this.end);
  }

  get start(): number {
    return this.blocks[0]?.start ?? 0;
  }

  get end(): number {
    return this.blocks[this.blocks.length - 1]?.end ?? 0;
  }

  contains(address: number): boolean {
    return this.blockAt(address) !== undefined;
  }

  /** True when [address, address+length) reaches beyond the real silicon (see `realEnd`). */
  isPhantom(address: number, length = 1): boolean {
    const realEnd = this.spec.realEnd;
    return realEnd !== undefined && address + Math.max(1, length) > realEnd && this.contains(address);
  }

  sectorAt(address: number): SectorRef | undefined {
    const segment = this.segments.find((candidate) => address >= candidate.spec.start && address < candidate.end);
    if (!segment) return undefined;
    const local = Math.floor((address - segment.spec.start) / segment.spec.sectorSize);
    const start = segment.spec.start + local * segment.spec.sectorSize;
    return { index: segment.firstSector + local, start, end: start + segment.spec.sectorSize, eraseMs: segment.spec.eraseMs ?? 0 };
  }

  sectors(): SectorRef[] {
    return this.segments.flatMap((segment) =>
      Array.from({ length: segment.spec.sectorCount }, (_, local) => {
        const start = segment.spec.start + local * segment.spec.sectorSize;
        return { index: segment.firstSector + local, start, end: start + segment.spec.sectorSize, eraseMs: segment.spec.eraseMs ?? 0 };
      }),
    );
  }

  /** Bytes from `address` up to `length`, shorter when the memory ends or has a gap. */
  read(address: number, length: number): Uint8Array {
    const block = this.blockAt(address);
    if (!block) return new Uint8Array(0);
    const offset = address - block.start;
    return block.bytes.slice(offset, Math.min(block.bytes.length, offset + length));
  }

  /** True when [address, address+length) lies inside this memory without gaps. */
  covers(address: number, length: number): boolean {
    const block = this.blockAt(address);
    return block !== undefined && address + length <= block.end;
  }

  eraseSector(sector: SectorRef): void {
    const block = this.blockAt(sector.start);
    if (!block) return;
    block.bytes.fill(this.spec.erasedValue, sector.start - block.start, sector.end - block.start);
    this.markWritten(block, sector.start, sector.end, 0);
    this.erased[sector.index] = 1;
  }

  eraseAll(): void {
    for (const block of this.blocks) {
      block.bytes.fill(this.spec.erasedValue);
      block.written?.fill(0);
    }
    this.erased.fill(1);
  }

  /**
   * Programs `data` at `address` unit by unit with the memory's rewrite rule. The caller has
   * checked that the range is inside one block (`covers`).
   */
  program(address: number, data: Uint8Array): ProgramOutcome {
    const block = this.blockAt(address);
    if (!block || address + data.length > block.end) return { kind: 'error', failedAt: address };
    const unit = Math.max(1, this.spec.programUnit);
    let overwroteUnerased = false;
    let keptOld = false;
    let offset = 0;
    while (offset < data.length) {
      const target = address + offset;
      const unitStart = target - (target % unit);
      const unitEnd = Math.min(unitStart + unit, block.end);
      const take = Math.min(data.length - offset, unitEnd - target);
      const at = target - block.start;
      const isUnitErased = isAll(block.bytes.subarray(Math.max(unitStart, block.start) - block.start, unitEnd - block.start), this.spec.erasedValue);
      if (!isUnitErased) overwroteUnerased = true;
      const chunk = data.subarray(offset, offset + take);
      switch (this.spec.rewrite) {
        case 'overwrite':
          block.bytes.set(chunk, at);
          break;
        case 'and':
          for (let i = 0; i < chunk.length; i++) block.bytes[at + i] = block.bytes[at + i]! & chunk[i]!;
          break;
        case 'keep-old':
          if (isUnitErased) block.bytes.set(chunk, at);
          else keptOld = true;
          break;
        case 'error':
          if (!isUnitErased) {
            this.markProgrammed(address, offset);
            return { kind: 'error', failedAt: unitStart };
          }
          block.bytes.set(chunk, at);
          break;
        case 'ecc': {
          const unitIndex = Math.floor((unitStart - block.start) / unit);
          if (!isUnitErased || block.written![unitIndex] === 1) {
            this.markProgrammed(address, offset);
            return { kind: 'error', failedAt: unitStart };
          }
          block.bytes.set(chunk, at);
          block.written![unitIndex] = 1;
          break;
        }
      }
      offset += take;
    }
    this.markProgrammed(address, data.length);
    return { kind: 'ok', overwroteUnerased, keptOld };
  }

  /** Sets bytes directly (test and scenario set-up): no rules, no timing. */
  load(address: number, data: Uint8Array): void {
    this.setBytes(address, data);
    this.refreshErased(address, address + data.length);
  }

  /**
   * Whether the unit holding `address` was written since its erase (ECC memories only; elsewhere
   * the value decides, see program()).
   */
  isUnitWritten(address: number): boolean {
    const block = this.blockAt(address);
    if (!block?.written) return false;
    return block.written[Math.floor((address - block.start) / Math.max(1, this.spec.programUnit))] === 1;
  }

  private markWritten(block: BlockStore, start: number, end: number, flag: 0 | 1): void {
    if (!block.written) return;
    const unit = Math.max(1, this.spec.programUnit);
    block.written.fill(flag, Math.floor((start - block.start) / unit), Math.ceil((end - block.start) / unit));
  }

  /** Erased-since-programmed flag of each sector, in address order (the "erased bitmap"). */
  erasedBitmap(): boolean[] {
    return Array.from(this.erased, (flag) => flag === 1);
  }

  /** The backing bytes of the address block holding `address` (a live view, for inspection). */
  view(address = this.start): Uint8Array | undefined {
    return this.blockAt(address)?.bytes;
  }

  private setBytes(address: number, data: Uint8Array): void {
    const block = this.blockAt(address);
    if (!block || address + data.length > block.end) {
      throw new RangeError(`0x${address.toString(16)}+${data.length} is outside this memory`);
    }
    block.bytes.set(data, address - block.start);
    if (block.written) {
      // Set-up content counts as written where it is not the erased value.
      const unit = Math.max(1, this.spec.programUnit);
      const first = Math.floor((address - block.start) / unit);
      const last = Math.ceil((address + data.length - block.start) / unit);
      for (let i = first; i < last; i++) {
        const from = block.start + i * unit;
        block.written[i] = isAll(block.bytes.subarray(from - block.start, Math.min(from + unit, block.end) - block.start), this.spec.erasedValue) ? 0 : 1;
      }
    }
  }

  private blockAt(address: number): BlockStore | undefined {
    return this.blocks.find((block) => address >= block.start && address < block.end);
  }

  private refreshErased(start: number, end: number): void {
    for (const sector of this.sectors()) {
      if (sector.end <= start || sector.start >= end) continue;
      const block = this.blockAt(sector.start);
      if (!block) continue;
      this.erased[sector.index] = isAll(block.bytes.subarray(sector.start - block.start, sector.end - block.start), this.spec.erasedValue) ? 1 : 0;
    }
  }

  private markProgrammed(address: number, length: number): void {
    if (length <= 0) return;
    const first = this.sectorAt(address);
    const last = this.sectorAt(address + length - 1);
    if (!first || !last) return;
    for (let index = first.index; index <= last.index; index++) this.erased[index] = 0;
  }
}

function isAll(bytes: Uint8Array, value: number): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== value) return false;
  return true;
}
