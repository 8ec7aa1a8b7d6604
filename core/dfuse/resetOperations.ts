// The requests after which the device goes away: leave (it jumps to the application), an option-
// byte write and read unprotect (it resets). Each releases the link (interface and USB handle)
// once it has happened. Success only when it is one: a missing status after a leave is success
// (H7, GD32; reference §2.6) but an answer of dfuDNLOAD-IDLE means the device stayed; after an
// option-byte write or read unprotect only the device leaving the bus proves the reset.
import { dnload, getStatus, transferFailureOf } from '../dfu/requests.js';
import { DfuState, DfuStatus, DFUSE_FIRST_DATA_BLOCK, type DfuStatusReply } from '../dfu/spec.js';
import { DfuError, stateName, statusName } from '../errors.js';
import { formatAddress } from '../format.js';
import type { Segment } from './memoryLayout.js';
import { encodeCommand } from './commands.js';
import { regionRange } from './memoryLayout.js';
import { rangeLength } from '../image/memoryImage.js';
import type { Operation } from './poll.js';
import { mainFlashOf } from './regionRole.js';
import type { SessionContext } from './sessionContext.js';

/** Set address (default: the start of internal flash), then the zero-length DNLOAD (wValue 0). */
export async function leaveNow(context: SessionContext, address: number | undefined): Promise<void> {
  const { info, link, phases } = context;
  const flash = mainFlashOf(info) ?? info.alternates.find((a) => a.layout);
  const target = address ?? (flash?.layout ? regionRange(flash.layout.region).start : 0x08000000);
  await link.ensureIdle(flash?.alternate ?? 0, 'leave');
  await link.command({ kind: 'set-address', address: target }, 'set-address', `leave to ${formatAddress(target)}`);
  const during = `leave to ${formatAddress(target)}`;
  // wValue 0 as webdfu, Betaflight and pydfu send it (dfu-util uses 2; ST BLs take both).
  phases.log('info', `DNLOAD block 0: leave (zero length), jump to ${formatAddress(target)}`);
  let reply: DfuStatusReply | undefined;
  try {
    await dnload(link.transport, 0, new Uint8Array(0), during);
    reply = await getStatus(link.transport, during);
    phases.log('debug', `leave: ${stateName(reply.state)} ${statusName(reply.status)}`);
  } catch (error) {
    // Reference §2.6: H7 and GD32 leave without answering; that is success.
    phases.log('info', `leave: no status after the leave request (${transferFailureOf(error) ?? 'error'}): counted as success`);
  }
  if (reply?.state === DfuState.dfuERROR) throw new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
  if (reply !== undefined && STAYED.includes(reply.state)) {
    // The leave request was taken as an empty download: the device is still in DFU mode.
    phases.log('warn', `leave: the device answered ${stateName(reply.state)}, so it did not leave DFU mode`);
    await link.abortQuietly(during);
    throw new DfuError({ kind: 'unexpected-state', expected: [DfuState.dfuMANIFEST], actual: reply.state, during });
  }
  await link.release();
}

/** States after the leave request that mean the device stayed in DFU mode. */
const STAYED: readonly number[] = [DfuState.dfuDNLOAD_IDLE, DfuState.dfuIDLE];

/** What an option-byte write or read unprotect ended in. */
export type ResetOutcome = 'reset' | 'no-reset';

/** One option-byte block: set address, DNLOAD block 2, then the device runs the change and (usually) resets. */
export async function writeOptionBytesNow(context: SessionContext, alternate: number, segment: Segment, raw: Uint8Array): Promise<ResetOutcome> {
  const { link, phases } = context;
  const during = `option-byte write at ${formatAddress(segment.start)}`;
  await link.ensureIdle(alternate, 'option-byte write');
  await link.command({ kind: 'set-address', address: segment.start }, 'set-address', during);
  phases.log('info', `DNLOAD block ${DFUSE_FIRST_DATA_BLOCK}: ${raw.length} option bytes at ${formatAddress(segment.start)}; the device resets afterwards`);
  await dnload(link.transport, DFUSE_FIRST_DATA_BLOCK, raw, during);
  return expectResetAfter(context, during, 'option-bytes', raw.length);
}

/** Read Unprotect (0x92): the chip mass-erases its flash, removes RDP level 1 and resets (AN3156 §6.5). */
export async function readUnprotectNow(context: SessionContext): Promise<ResetOutcome> {
  const { link, phases, info } = context;
  const during = 'read unprotect';
  await link.ensureIdle(0, during);
  phases.log('warn', 'DNLOAD block 0: read unprotect (mass erase and reset)');
  await dnload(link.transport, 0, encodeCommand({ kind: 'read-unprotect' }), during);
  const flash = mainFlashOf(info);
  const flashBytes = flash?.layout ? rangeLength(regionRange(flash.layout.region)) : 0;
  return expectResetAfter(context, during, 'read-unprotect', flashBytes);
}

/**
 * After an option-byte write or read unprotect: the first GETSTATUS starts the operation
 * (dfuDNBUSY), then the device resets. Only the device going away proves the reset (reference
 * §2.5, §2.7): a STALL or an I/O error can come from a device that is merely busy (USB FS, EPROTO
 * on Linux), so the poller counts those as busy and keeps asking until the device is gone, answers
 * with a status (newer bootloaders finish without a reset; the change applies at the next one), or
 * the bound runs out, which is an error: nothing proves the change was made.
 */
async function expectResetAfter(context: SessionContext, during: string, kind: Operation['kind'], bytes: number): Promise<ResetOutcome> {
  const { link, phases } = context;
  let reply: DfuStatusReply;
  try {
    reply = (await link.poller.afterDnload({ kind, bytes, during })).reply;
  } catch (error) {
    if (error instanceof DfuError && error.info.kind === 'device-gone') {
      phases.log('info', `${during}: the device reset (it left the bus)`);
      await link.release();
      return 'reset';
    }
    if (error instanceof DfuError && error.info.kind === 'transport') {
      throw new DfuError(
        { kind: 'transport', during, detail: `no reset seen: the device stopped answering but did not leave the bus (${error.info.detail}); unplug it and check the result` },
        { cause: error },
      );
    }
    throw error;
  }
  if (reply.state === DfuState.dfuERROR || reply.status !== DfuStatus.OK) throw await link.statusError(reply, during);
  phases.log('info', `${during}: done without a reset (${stateName(reply.state)}); the change applies at the next reset`);
  await link.abortQuietly(during);
  return 'no-reset';
}
