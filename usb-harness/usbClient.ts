// A libusb client process for the virtual bus. The test process cannot load umockdev's preload
// library after it has started, so everything that talks to the virtual devices through the real
// `usb` package runs here, in a child started with VirtualUsbHost.clientEnv(), and is driven over
// Node's IPC channel (see clientProcess.ts). Each operation is a thin call into the production
// adapter (node/nodeUsb.ts) and core; nothing here fakes USB.
import type { ProgramOptions } from '../core/dfuse/plan.js';
import { DfuseSession, type PhaseTiming, type SessionPhase, type SessionStrategy } from '../core/dfuse/session.js';
import { DfuError } from '../core/errors.js';
import type { VerifyReport } from '../core/image/diff.js';
import { MemoryImage, type AddressRange, type Block } from '../core/image/memoryImage.js';
import { describeDevice, type DeviceInfo } from '../core/usb/descriptors.js';
import { TransferError, type BusEvent, type OpenedDevice, type UsbDeviceSummary } from '../core/usb/transport.js';
import { NodeUsbBus } from '../node/nodeUsb.js';
import { realClock } from '../node/realClock.js';
import { runBoardContract, type ContractRun } from '../core/testing/boardContract.js';

export interface SerializedError {
  name: string;
  message: string;
  info?: DfuError['info'];
  failure?: TransferError['failure'];
}

export interface ProgramRequest {
  readonly blocks: readonly Block[];
  readonly options: ProgramOptions & { readonly alternate?: number };
  /** Read these ranges of alt 0 back after programming (and verifying). */
  readonly readBack?: readonly AddressRange[];
  readonly strategy?: SessionStrategy;
}

export interface ProgramOutcome {
  /** From DfuseSession.open (descriptors already read) to the end of program(). */
  readonly programMs: number;
  readonly openMs: number;
  readonly controlTransfers: number;
  readonly bytesWritten: number;
  readonly sectorsErased: number;
  /** Sectors that read blank and were not erased (the blank check). */
  readonly sectorsBlank: number;
  readonly verify?: VerifyReport;
  readonly readBack: Uint8Array[];
  readonly phases: { phase: SessionPhase; status: string }[];
  readonly timings: readonly PhaseTiming[];
  /** Time the session spent sleeping between polls (as opposed to waiting inside a held GETSTATUS). */
  readonly sleptMs: number;
  readonly family: string;
}

export interface OpenedSummary {
  handle: number;
  summary: UsbDeviceSummary;
  interfaceNumber: number;
  device: Uint8Array;
  configuration: Uint8Array;
  strings: [number, string][];
  functional?: Uint8Array;
}

let bus = new NodeUsbBus();
const opened = new Map<number, OpenedDevice>();
let nextHandle = 1;
let unwatch: (() => void) | undefined;

function handleOf(handle: number): OpenedDevice {
  const device = opened.get(handle);
  if (!device) throw new Error(`no opened device ${handle}`);
  return device;
}

/** The operations a test can run in this process. Arguments and results cross IPC by structured clone. */
export const operations = {
  /** Replaces the bus, e.g. with short timeouts for a test that lets transfers time out. */
  configure: (options: { timeoutMs?: number; statusTimeoutMs?: number }): void => {
    unwatch?.();
    unwatch = undefined;
    bus = new NodeUsbBus(options);
  },

  list: (): Promise<UsbDeviceSummary[]> => bus.list(),

  open: async (id: string): Promise<OpenedSummary> => {
    const device = await bus.open(id);
    const handle = nextHandle++;
    opened.set(handle, device);
    const { descriptors } = device;
    return {
      handle,
      summary: device.summary,
      interfaceNumber: device.interfaceNumber,
      device: descriptors.device,
      configuration: descriptors.configuration,
      strings: [...descriptors.strings],
      ...(descriptors.functional ? { functional: descriptors.functional } : {}),
    };
  },

  describe: (handle: number): DeviceInfo => describeDevice(handleOf(handle)),

  controlIn: (handle: number, request: number, value: number, length: number): Promise<Uint8Array> =>
    handleOf(handle).transport.controlIn(request, value, length),

  controlOut: (handle: number, request: number, value: number, data?: Uint8Array): Promise<number> =>
    handleOf(handle).transport.controlOut(request, value, data),

  selectAlternate: (handle: number, alternate: number): Promise<void> => handleOf(handle).transport.selectAlternate(alternate),

  /** Sends `count` GETSTATUS requests back to back; returns the elapsed milliseconds. */
  statusLoop: async (handle: number, count: number): Promise<number> => {
    const transport = handleOf(handle).transport;
    const start = performance.now();
    for (let i = 0; i < count; i++) await transport.controlIn(3, 0, 6);
    return performance.now() - start;
  },

  /**
   * The board contract (core/testing/boardContract.ts) through the production adapter, exactly as
   * DFU_HARDWARE=1 runs it on a real board: each check opens its own handle with bus.open().
   */
  boardContract: (id: string): Promise<ContractRun> =>
    runBoardContract({ open: async (onEvent) => DfuseSession.open(await bus.open(id), { clock: realClock, onEvent }) }),

  /** Opens a device and reads back `blocks` with a fresh DfuseSession, comparing them (timed). */
  verify: async (id: string, blocks: readonly Block[], alternate?: number): Promise<{ verifyMs: number; report: VerifyReport }> => {
    const device = await bus.open(id);
    let session: DfuseSession | undefined;
    try {
      session = await DfuseSession.open(device, { clock: realClock });
      const started = performance.now();
      const report = await session.verify(MemoryImage.fromBlocks(blocks), alternate);
      return { verifyMs: performance.now() - started, report };
    } finally {
      if (session) await session.close();
      else await device.transport.close();
    }
  },

  /** Opens a device, programs it with DfuseSession over NodeUsbBus and optionally reads back. */
  program: async (id: string, request: ProgramRequest): Promise<ProgramOutcome> => {
    const started = performance.now();
    const device = await bus.open(id);
    const phases: { phase: SessionPhase; status: string }[] = [];
    let session: DfuseSession | undefined;
    try {
      session = await DfuseSession.open(device, {
        clock: realClock,
        ...(request.strategy ? { strategy: request.strategy } : {}),
        onEvent: (event) => {
          if (event.type === 'phase') phases.push({ phase: event.phase, status: event.status });
        },
      });
      const opened = performance.now();
      const image = MemoryImage.fromBlocks(request.blocks);
      const result = await session.program(image, request.options);
      const programmed = performance.now();
      const verify = result.verify;
      const readBack: Uint8Array[] = [];
      for (const range of request.readBack ?? []) {
        readBack.push((await session.read(request.options.alternate ?? 0, range)).read(range, 0));
      }
      return {
        openMs: opened - started,
        programMs: programmed - opened,
        controlTransfers: result.controlTransfers,
        bytesWritten: result.bytesWritten,
        sectorsErased: result.sectorsErased,
        sectorsBlank: result.sectorsBlank,
        ...(verify ? { verify } : {}),
        readBack,
        phases,
        timings: result.timings,
        sleptMs: session.stats.sleptMs,
        family: session.info.family,
      };
    } finally {
      if (session) await session.close();
      else await device.transport.close();
    }
  },

  close: async (handle: number): Promise<void> => {
    const device = opened.get(handle);
    opened.delete(handle);
    await device?.transport.close();
  },

  watch: (): void => {
    unwatch?.();
    unwatch = bus.watch((event: BusEvent) => process.send?.({ type: 'bus-event', event }));
  },

  unwatch: (): void => {
    unwatch?.();
    unwatch = undefined;
  },
};

export type Operations = typeof operations;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof DfuError) return { name: error.name, message: error.message, info: error.info };
  if (error instanceof TransferError) return { name: error.name, message: error.message, failure: error.failure };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

interface Request {
  id: number;
  operation: keyof Operations;
  args: unknown[];
}

process.on('message', (message: Request) => {
  const operation = operations[message.operation] as (...args: unknown[]) => unknown;
  Promise.resolve()
    .then(() => operation(...message.args))
    .then(
      (value) => process.send?.({ type: 'result', id: message.id, value }),
      (error: unknown) => process.send?.({ type: 'result', id: message.id, error: serializeError(error) }),
    );
});
process.on('disconnect', () => {
  unwatch?.();
  for (const device of opened.values()) void device.transport.close();
  // The usb package keeps its event thread alive; the parent is gone, so leave.
  setTimeout(() => process.exit(0), 50);
});
process.send?.({ type: 'ready' });
