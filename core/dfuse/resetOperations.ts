// The requests after which the device goes away: leave (it jumps to the application), an option-
// byte write and read unprotect (it resets). Each marks the link gone when it has happened, and
// counts the missing or failed status a reset causes as success, because that is what a reset
// looks like from the host (reference §2.6, AN2662).
import { dnload, getStatus, transferFailureOf } from '../dfu/requests.js';
import { DfuState, DFUSE_FIRST_DATA_BLOCK, type DfuStatusReply } from '../dfu/spec.js';
import { DfuError, stateName, statusName } from '../errors.js';
import { formatAddress } from '../format.js';
import type { Segment } from './memoryLayout.js';
import { encodeCommand } from './commands.js';
import { regionRange } from './memoryLayout.js';
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
  // wValue 0 as webdfu, Betaflight and pydfu send it (dfu-util uses 2; ST BLs accept both).
  phases.log('info', `DNLOAD block 0: leave (zero length), jump to ${formatAddress(target)}`);
  try {
    await dnload(link.transport, 0, new Uint8Array(0), during);
    const reply = await getStatus(link.transport, during);
    phases.log('debug', `leave: ${stateName(reply.state)} ${statusName(reply.status)}`);
    if (reply.state === DfuState.dfuERROR) {
      throw new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
    }
  } catch (error) {
    if (error instanceof DfuError && error.info.kind === 'device-status') throw error;
    // Reference §2.6: H7 and GD32 leave without answering; that is success.
    phases.log('info', `leave: no status after the leave request (${transferFailureOf(error) ?? 'error'}): counted as success`);
  }
  link.markGone();
}

/** One option-byte block: set address, DNLOAD block 2, then the device runs the change and resets. */
export async function writeOptionBytesNow(context: SessionContext, alternate: number, segment: Segment, raw: Uint8Array): Promise<void> {
  const { link, phases } = context;
  const during = `option-byte write at ${formatAddress(segment.start)}`;
  await link.ensureIdle(alternate, 'option-byte write');
  await link.command({ kind: 'set-address', address: segment.start }, 'set-address', during);
  phases.log('info', `DNLOAD block ${DFUSE_FIRST_DATA_BLOCK}: ${raw.length} option bytes at ${formatAddress(segment.start)}; the device resets afterwards`);
  await dnload(link.transport, DFUSE_FIRST_DATA_BLOCK, raw, during);
  await expectResetAfter(context, during, 'option-bytes', raw.length);
}

/** Read Unprotect (0x92): the chip mass-erases its flash, removes RDP level 1 and resets (AN3156 §6.5). */
export async function readUnprotectNow(context: SessionContext): Promise<void> {
  const { link, phases } = context;
  const during = 'read unprotect';
  await link.ensureIdle(0, during);
  phases.log('warn', 'DNLOAD block 0: read unprotect (mass erase and reset)');
  await dnload(link.transport, 0, encodeCommand({ kind: 'read-unprotect' }), during);
  await expectResetAfter(context, during, 'read-unprotect', 0);
}

/**
 * After an option-byte write or read unprotect: the first GETSTATUS starts the operation
 * (dfuDNBUSY), then the device resets. Any transfer failure from there on is the reset.
 */
async function expectResetAfter(context: SessionContext, during: string, kind: Operation['kind'], bytes: number): Promise<void> {
  const { link, phases, clock } = context;
  let reply: DfuStatusReply;
  try {
    reply = await getStatus(link.transport, during);
  } catch (error) {
    phases.log('info', `${during}: the device reset before answering (${transferFailureOf(error) ?? 'error'}): counted as success`);
    link.markGone();
    return;
  }
  if (reply.state === DfuState.dfuERROR) throw await link.statusError(reply, during);
  if (reply.state === DfuState.dfuDNBUSY) {
    try {
      await clock.sleep(Math.min(reply.pollTimeoutMs, 1_000));
      const outcome = await link.poller.afterDnload({ kind, bytes, during });
      if (outcome.reply.state === DfuState.dfuERROR) throw await link.statusError(outcome.reply, during);
      phases.log('info', `${during}: done without a reset (${stateName(outcome.reply.state)}); the change applies at the next reset`);
      await link.abortQuietly(during);
      return;
    } catch (error) {
      if (error instanceof DfuError && (error.info.kind === 'device-status' || error.info.kind === 'read-protected')) throw error;
      phases.log('info', `${during}: the device reset (${transferFailureOf(error) ?? 'no answer'}): counted as success`);
    }
  }
  link.markGone();
}
