// DFU 1.1 class requests over a DfuTransport, with transport failures mapped to DfuError.
// Sequencing that needs time (busy polling) lives in dfuse/poll.ts; this file only talks.
import { DfuError } from '../errors.js';
import { TransferError, type Clock, type DfuTransport, type TransferFailure } from '../usb/transport.js';
import { readU24LE } from '../bytes.js';
import {
  DFU_ABORT,
  DFU_CLRSTATUS,
  DFU_DNLOAD,
  DFU_GETSTATE,
  DFU_GETSTATUS,
  DFU_UPLOAD,
  DfuState,
  DfuStatus,
  type DfuStatusReply,
} from './spec.js';

/** Turns a transport failure into the DfuError the user sees, naming what we were doing. */
export function toRequestError(error: unknown, during: string): DfuError {
  if (error instanceof DfuError) return error;
  if (error instanceof TransferError) {
    if (error.failure === 'disconnected') return new DfuError({ kind: 'device-gone', during }, { cause: error });
    return new DfuError({ kind: 'transport', during: during, detail: `${error.failure}: ${error.message}` }, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new DfuError({ kind: 'transport', during: during, detail }, { cause: error });
}

/** The TransferFailure behind an error, if a transport raised it (directly or as the cause). */
export function transferFailureOf(error: unknown): TransferFailure | undefined {
  if (error instanceof TransferError) return error.failure;
  if (error instanceof Error && error.cause !== undefined) return transferFailureOf(error.cause);
  return undefined;
}

async function guarded<T>(during: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw toRequestError(error, during);
  }
}

/** DFU 1.1 §6.1.2: bStatus, bwPollTimeout (24-bit LE), bState, iString. */
export function decodeStatus(bytes: Uint8Array, during = 'GETSTATUS'): DfuStatusReply {
  if (bytes.length < 6) {
    throw new DfuError({ kind: 'transport', during: during, detail: `GETSTATUS returned ${bytes.length} bytes, expected 6` });
  }
  return { status: bytes[0]!, pollTimeoutMs: readU24LE(bytes, 1), state: bytes[4]!, stringIndex: bytes[5]! };
}

export function getStatus(transport: DfuTransport, during: string): Promise<DfuStatusReply> {
  return guarded(during, async () => decodeStatus(await transport.controlIn(DFU_GETSTATUS, 0, 6), during));
}

export function getState(transport: DfuTransport, during: string): Promise<number> {
  return guarded(during, async () => {
    const reply = await transport.controlIn(DFU_GETSTATE, 0, 1);
    if (reply.length < 1) throw new DfuError({ kind: 'transport', during: during, detail: 'GETSTATE returned no data' });
    return reply[0]!;
  });
}

export function clearStatus(transport: DfuTransport, during: string): Promise<void> {
  return guarded(during, async () => {
    await transport.controlOut(DFU_CLRSTATUS, 0);
  });
}

export function abort(transport: DfuTransport, during: string): Promise<void> {
  return guarded(during, async () => {
    await transport.controlOut(DFU_ABORT, 0);
  });
}

export function dnload(transport: DfuTransport, block: number, data: Uint8Array, during: string): Promise<number> {
  return guarded(during, () => transport.controlOut(DFU_DNLOAD, block, data));
}

export function upload(transport: DfuTransport, block: number, length: number, during: string): Promise<Uint8Array> {
  return guarded(during, () => transport.controlIn(DFU_UPLOAD, block, length));
}

export interface RecoveryStep {
  readonly state: number;
  readonly status: number;
  readonly action: 'none' | 'clear-status' | 'abort' | 'wait';
}

/**
 * Brings the device to dfuIDLE, the state every DfuSe operation starts from, as dfu-util's start-up
 * loop does (dfu-util dfu_util.c / dfuse.c, pydfu "up to 4 tries"):
 * - dfuERROR -> CLRSTATUS (real L0/L1/F4 BLs answer dfuERROR/errFIRMWARE at first contact);
 * - dfuDNLOAD-IDLE / dfuUPLOAD-IDLE -> ABORT;
 * - dfuDNLOAD-SYNC / dfuDNBUSY -> wait the poll timeout and ask again.
 * CLRSTATUS is sent only in dfuERROR and ABORT only in the idle states: the STM32C5 ROM STALLs
 * CLRSTATUS elsewhere (Betaflight usbdfu.js), older BLs merely tolerate it.
 * Any other state (run-time mode, manifestation) cannot be left without a USB reset.
 */
export async function recoverToIdle(
  transport: DfuTransport,
  options: { clock: Clock; maxAttempts?: number; onStep?: (step: RecoveryStep) => void; during?: string },
): Promise<DfuStatusReply> {
  const during = options.during ?? 'recovery to dfuIDLE';
  const maxAttempts = options.maxAttempts ?? 6;
  let reply = await getStatus(transport, during);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    switch (reply.state) {
      case DfuState.dfuIDLE:
        options.onStep?.({ state: reply.state, status: reply.status, action: 'none' });
        return reply;
      case DfuState.dfuERROR:
        options.onStep?.({ state: reply.state, status: reply.status, action: 'clear-status' });
        await clearStatus(transport, during);
        break;
      case DfuState.dfuDNLOAD_IDLE:
      case DfuState.dfuUPLOAD_IDLE:
        options.onStep?.({ state: reply.state, status: reply.status, action: 'abort' });
        await abort(transport, during);
        break;
      case DfuState.dfuDNLOAD_SYNC:
      case DfuState.dfuDNBUSY:
        options.onStep?.({ state: reply.state, status: reply.status, action: 'wait' });
        // A bounded wait: a wildly large bwPollTimeout must not hang the start-up.
        await options.clock.sleep(Math.min(Math.max(reply.pollTimeoutMs, 1), 5_000));
        break;
      default:
        throw new DfuError({ kind: 'unexpected-state', expected: [DfuState.dfuIDLE], actual: reply.state, during });
    }
    reply = await getStatus(transport, during);
  }
  if (reply.state === DfuState.dfuIDLE) return reply;
  if (reply.state === DfuState.dfuERROR && reply.status !== DfuStatus.OK) {
    throw new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
  }
  throw new DfuError({ kind: 'unexpected-state', expected: [DfuState.dfuIDLE], actual: reply.state, during });
}
