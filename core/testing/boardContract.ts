// The engine contract as a board can check it: the same checks on a simulated device, on a virtual
// USB device through the real `usb` package (usb-harness), and on real hardware (DFU_HARDWARE=1).
// They need no fault injection, so a real board can run them: a scratch area at the end of the
// real main flash is backed up first and restored last, whatever happens in between.
//   1. program and verify an image across two sectors; nothing outside the plan's sectors changes
//      (the sector before them reads the same), and the next session meets the device in dfuIDLE;
//   2. a sector that reads blank is not erased where the family allows it (every touched sector is
//      erased on flash with ECC), and the result still verifies;
//   3. a differential re-flash in the same session erases and writes nothing;
//   4. a fresh session (a new handle) flashes again and verifies.
// Plain TypeScript with no test framework, so the usb-harness client process can run it too.
import { blankSectorCheck, knownFlashOverstatement } from '../devices/stm32.js';
import { flashSizeLimit } from '../dfuse/flashLimit.js';
import { regionRange, sectorsIn, type Sector } from '../dfuse/memoryLayout.js';
import type { ProgramOptions } from '../dfuse/plan.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import { regionOf } from '../dfuse/sessionContext.js';
import type { DfuseSession, SessionEvent } from '../dfuse/session.js';
import { MemoryImage } from '../image/memoryImage.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';

export interface ContractBoard {
  /** Opens a new session on the board; `onEvent` sees its events from the connect on. */
  open(onEvent: (event: SessionEvent) => void): Promise<DfuseSession>;
  /**
   * Called with the scratch area's bytes before anything is written (the hardware tier saves them
   * to a file, so a restore that cannot run still leaves the user a copy).
   */
  onBackup?(backup: MemoryImage): void | Promise<void>;
  /**
   * Allow a scratch area that includes the first sector (one- or two-sector flash). Off for real
   * boards: that sector holds the application.
   */
  readonly allowFirstSector?: boolean;
}

export interface ContractCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ContractRun {
  readonly checks: readonly ContractCheck[];
  /** Where the checks wrote, and whether the backup was written back and verified. */
  readonly scratch: { readonly start: number; readonly end: number; readonly isRestored: boolean };
}

const PROGRAM: ProgramOptions = { erase: 'touched', verify: true };

/**
 * The last two sectors of the real main flash (the flash-size register's end, or the smaller
 * part's end where the descriptor is known to overstate it), the sector before them as the
 * neighbour that must not change, and an image of up to 8 KiB across the boundary of the two.
 */
function scratchOf(session: DfuseSession, allowFirstSector: boolean): { alternate: number; sectors: Sector[]; neighbour?: Sector; image: MemoryImage } {
  const flash = mainFlashOf(session.info);
  if (!flash) throw new Error('the device describes no main flash');
  const region = flash.layout.region;
  const range = regionRange(region);
  const limit = flashSizeLimit(session.info, region, 'flash');
  const known = knownFlashOverstatement(session.info.family, region);
  const end = limit?.end ?? (known && session.info.flashSizeBytes === undefined ? range.start + known.realBytes : range.end);
  const all = sectorsIn(region, { start: range.start, end }).filter((s) => s.segment.erasable && s.end <= end);
  if (all.length === 0) throw new Error(`no erasable sector below ${end.toString(16)}`);
  const sectors = all.slice(-2);
  // The first sector holds the application's vector table: a real board's firmware would be the
  // scratch area (an H750 has one 128 KiB sector). Only where the caller allows it (simulators).
  if (sectors[0]!.index === all[0]!.index && !allowFirstSector) {
    throw new Error(`the real flash ends after ${all.length} sector${all.length === 1 ? '' : 's'}: the scratch area would include sector ${all[0]!.index}, where the application starts`);
  }
  const boundary = sectors.length === 2 ? sectors[1]!.start : sectors[0]!.start + Math.floor((sectors[0]!.end - sectors[0]!.start) / 2);
  const start = Math.max(sectors[0]!.start, boundary - 4096);
  const stop = Math.min(sectors[sectors.length - 1]!.end, boundary + 4096);
  const neighbour = all.length > 2 ? all[all.length - 3] : undefined;
  return { alternate: flash.alternate, sectors, ...(neighbour ? { neighbour } : {}), image: MemoryImage.fromBytes(start, nonErasedBytes(stop - start, 0xc0ffee)) };
}

function same(a: MemoryImage, b: MemoryImage): boolean {
  if (a.start !== b.start || a.size !== b.size) return false;
  const x = a.read({ start: a.start, end: a.end }, 0);
  const y = b.read({ start: b.start, end: b.end }, 0);
  return x.every((value, i) => value === y[i]);
}

/** Runs the checks; a check that fails is reported, not thrown, and the scratch area is restored. */
export async function runBoardContract(board: ContractBoard): Promise<ContractRun> {
  const checks: ContractCheck[] = [];
  const check = async (name: string, body: () => Promise<string>): Promise<void> => {
    try {
      checks.push({ name, ok: true, detail: await body() });
    } catch (error) {
      checks.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  };
  const ignore = (): void => undefined;
  let session = await board.open(ignore);
  /** False between a close and the next successful open: the restore then opens its own session. */
  let isOpen = true;
  const reopen = async (onEvent: (event: SessionEvent) => void): Promise<void> => {
    await session.close();
    isOpen = false;
    session = await board.open(onEvent);
    isOpen = true;
  };
  let scratch: ReturnType<typeof scratchOf>;
  try {
    scratch = scratchOf(session, board.allowFirstSector === true);
  } catch (error) {
    await session.close();
    throw error;
  }
  const { alternate, sectors, neighbour, image } = scratch;
  const area = { start: sectors[0]!.start, end: sectors[sectors.length - 1]!.end };
  const backup = await session.read(alternate, area);
  await board.onBackup?.(backup);
  const neighbourBefore = neighbour ? await session.read(alternate, neighbour) : undefined;
  let isRestored: boolean | undefined;
  try {
    await check('program and verify across two sectors; nothing outside them changes; the next session meets dfuIDLE', async () => {
      const result = await session.program(image, PROGRAM);
      if (!result.verify?.isMatch) throw new Error(`verification failed: ${result.verify?.diagnosis.message}`);
      if (neighbour && neighbourBefore && !same(await session.read(alternate, neighbour), neighbourBefore)) {
        throw new Error(`sector ${neighbour.index} before the scratch area changed`);
      }
      const states: string[] = [];
      await reopen((event) => {
        if (event.type === 'log' && event.message.startsWith('connect: device in ')) states.push(event.message);
      });
      // dfuERROR/errFIRMWARE is how some ROMs (L0) present themselves, not something a session leaves.
      const recovered = states.filter((line) => !line.startsWith('connect: device in dfuERROR (errFIRMWARE)'));
      if (recovered.length > 0) throw new Error(`the next session had to recover the device: ${recovered.join('; ')}`);
      return `${result.sectorsErased} sectors erased, ${result.sectorsBlank} blank, ${result.bytesWritten} B written`;
    });

    await check('a sector that reads blank is not erased (every sector on flash with ECC)', async () => {
      await session.eraseSectors(alternate, sectors);
      const result = await session.program(image, PROGRAM);
      if (!result.verify?.isMatch) throw new Error(`verification failed: ${result.verify?.diagnosis.message}`);
      const isSafe = blankSectorCheck(session.info.family).isSafe;
      const touched = sectorsIn(regionOf(session.info, alternate), { start: image.start, end: image.end }).length;
      const expected = isSafe ? { erased: 0, blank: touched } : { erased: touched, blank: 0 };
      if (result.sectorsErased !== expected.erased || result.sectorsBlank !== expected.blank) {
        throw new Error(`${result.sectorsErased} sectors erased and ${result.sectorsBlank} left blank, expected ${expected.erased} and ${expected.blank} (${session.info.family})`);
      }
      return `${result.sectorsErased} erased, ${result.sectorsBlank} read blank`;
    });

    await check('a differential re-flash in the same session erases and writes nothing', async () => {
      const result = await session.program(image, { ...PROGRAM, differential: true });
      if (!result.verify?.isMatch) throw new Error(`verification failed: ${result.verify?.diagnosis.message}`);
      if (result.sectorsErased !== 0 || result.bytesWritten !== 0) throw new Error(`${result.sectorsErased} sectors erased, ${result.bytesWritten} B written`);
      return 'nothing erased or written';
    });

    await check('a fresh session flashes other bytes and verifies', async () => {
      await reopen(ignore);
      const other = MemoryImage.fromBytes(image.start, nonErasedBytes(image.size, 0xbeef));
      const result = await session.program(other, PROGRAM);
      if (!result.verify?.isMatch) throw new Error(`verification failed: ${result.verify?.diagnosis.message}`);
      return `${result.sectorsErased} sectors erased`;
    });
  } finally {
    // Whatever failed: the scratch area gets its bytes back (an erased area stays erased), through
    // a new session when a reopen failed half way.
    if (!isOpen) session = await board.open(ignore);
    try {
      const restored = await session.program(backup, PROGRAM);
      isRestored = restored.verify?.isMatch === true;
    } finally {
      await session.close();
    }
  }
  return { checks, scratch: { ...area, isRestored: isRestored === true } };
}
