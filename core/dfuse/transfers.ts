// The DfuSe memory operations over a link: read (UPLOAD), write a plan's chunks (DNLOAD), erase a
// sector, mass erase. Each keeps the session's known device bytes honest: what is read is
// remembered, what is erased or written is forgotten first.
import { dnload, upload } from '../dfu/requests.js';
import { DfuState, DFUSE_FIRST_DATA_BLOCK } from '../dfu/spec.js';
import { DfuError } from '../errors.js';
import { formatAddress, formatSize } from '../format.js';
import { MemoryImage, rangeLength, type AddressRange } from '../image/memoryImage.js';
import type { MemoryRegion, Sector } from './memoryLayout.js';
import type { ProgramPlan } from './plan.js';
import { checkCancelled, regionOf, type SessionContext } from './sessionContext.js';
import type { PhaseRun } from './sessionEvents.js';

/** Re-send the address long before wBlockNum (16 bits) wraps. */
const READ_BLOCKS_PER_ADDRESS = 0x4000;

/**
 * Reads `range` with UPLOADs: set address, ABORT to dfuIDLE, blocks 2, 3, ... (AN3156 §6.3.3).
 * Progress goes to `run`; a read inside another phase's work (a blank check) passes none.
 */
export async function readRange(context: SessionContext, alternate: number, range: AddressRange, run: PhaseRun | undefined, signal: AbortSignal | undefined): Promise<MemoryImage> {
  const { info, link, phases } = context;
  const size = info.functional.transferSize;
  // Blocks continue a run only when they are the device's own wTransferSize (the cap can make them
  // shorter): the device places block n at pointer + (n-2) x wTransferSize.
  const perBlockAddress = info.functional.source === 'default' || size !== context.deviceTransferSize;
  const out = new Uint8Array(rangeLength(range));
  let offset = 0;
  let block = 0;
  while (offset < out.length) {
    checkCancelled(context, signal, 'read');
    const address = range.start + offset;
    const length = Math.min(size, out.length - offset);
    // A short block gets its own Set Address: some bootloaders compute the address with the
    // requested length, pointer + (n-2) x wLength.
    const isShortAfterRun = length < context.deviceTransferSize && block > DFUSE_FIRST_DATA_BLOCK;
    if (block === 0 || perBlockAddress || isShortAfterRun || block - DFUSE_FIRST_DATA_BLOCK >= READ_BLOCKS_PER_ADDRESS) {
      await link.ensureIdle(alternate, `read at ${formatAddress(address)}`);
      await link.command({ kind: 'set-address', address }, 'set-address', `read at ${formatAddress(address)}`);
      // AN3156: an UPLOAD must start from dfuIDLE; dfu-util's dfu_abort_to_idle after set-address.
      await link.abortToIdle(`read at ${formatAddress(address)}`);
      block = DFUSE_FIRST_DATA_BLOCK;
    }
    const during = `read of ${length} bytes at ${formatAddress(address)}`;
    let data: Uint8Array;
    try {
      data = await upload(link.transport, block, length, during);
    } catch (error) {
      throw await link.explain(error, during);
    }
    if (data.length < length) {
      await link.abortQuietly(during);
      throw new DfuError({ kind: 'transport', during: during, detail: `the device returned ${data.length} bytes` });
    }
    out.set(data.subarray(0, length), offset);
    offset += length;
    block++;
    if (run) phases.progress(run, length);
  }
  // Leave dfuUPLOAD-IDLE so the next request starts from dfuIDLE.
  await link.abortToIdle(`read at ${formatAddress(range.start)}`);
  const image = MemoryImage.fromBytes(range.start, out);
  context.known.remember(range, image);
  return image;
}

/** Sends a plan's chunks; returns how many. */
export async function writeChunks(context: SessionContext, plan: ProgramPlan, run: PhaseRun, signal: AbortSignal | undefined): Promise<number> {
  const { info, link, phases } = context;
  const size = plan.transferSize;
  const perRun = context.strategy.addressing === 'per-run' && info.functional.source !== 'default' && size === context.deviceTransferSize;
  let written = 0;
  let block = 0;
  let nextAddress = -1;
  for (const chunk of plan.chunks) {
    checkCancelled(context, signal, 'write');
    // A chunk shorter than wTransferSize gets its own Set Address: some bootloaders compute the
    // address with the requested length, pointer + (n-2) x wLength.
    const startsRun = !perRun || chunk.address !== nextAddress || block === 0 || block >= 0xffff || chunk.data.length < context.deviceTransferSize;
    if (startsRun) {
      await link.ensureSelected(plan.alternate, `write at ${formatAddress(chunk.address)}`);
      await link.command({ kind: 'set-address', address: chunk.address }, 'set-address', `write at ${formatAddress(chunk.address)}`);
      block = DFUSE_FIRST_DATA_BLOCK;
    }
    const during = `write of ${chunk.data.length} bytes at ${formatAddress(chunk.address)}`;
    phases.log('debug', `DNLOAD block ${block}: ${chunk.data.length} bytes at ${formatAddress(chunk.address)}`);
    context.known.forget({ start: chunk.address, end: chunk.address + chunk.data.length });
    await dnload(link.transport, block, chunk.data, during);
    const outcome = await link.poller.afterDnload({ kind: 'write', bytes: chunk.data.length, during });
    link.checkReply(outcome, [DfuState.dfuDNLOAD_IDLE], during);
    link.markDownloadIdle();
    link.logWait(during, outcome);
    written++;
    // Only full chunks continue a run: the device computes pointer + (n-2) x wTransferSize.
    nextAddress = chunk.data.length === size ? chunk.address + size : -1;
    block = nextAddress < 0 ? 0 : block + 1;
    phases.progress(run, chunk.data.length);
  }
  return written;
}

export async function eraseSector(context: SessionContext, alternate: number, region: MemoryRegion, sector: Sector): Promise<void> {
  await context.link.ensureSelected(alternate, `erase of sector ${sector.index}`);
  const during = `erase of sector ${sector.index} at ${formatAddress(sector.start)} (${region.name})`;
  context.known.forget(sector);
  // Page start, as webdfu and Betaflight send it (AN3156: any address inside the page works).
  const outcome = await context.link.command({ kind: 'erase-page', address: sector.start }, 'erase', during, sector.end - sector.start);
  if (outcome.recoveredFromStuckBusy) {
    context.phases.log('warn', `${during}: device was stuck in dfuDNBUSY; released with CLRSTATUS (H7 quirk); verification will confirm the erase`);
  }
}

export async function massErase(context: SessionContext, alternate: number, bytes: number): Promise<void> {
  const region = regionOf(context.info, alternate);
  await context.link.ensureSelected(alternate, 'mass erase');
  for (const segment of region.segments) if (segment.erasable) context.known.forget(segment);
  await context.link.command({ kind: 'mass-erase' }, 'mass-erase', `mass erase of ${region.name} (${formatSize(bytes)})`, bytes);
}
