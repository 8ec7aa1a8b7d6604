// The app's main process without Electron, as a libusb client of the virtual bus. It is composed
// like electron/main/index.ts (a Node host, NodeUsbBus as the hardware bus, a simulator bus on the
// real clock, ProgrammerService.create) and serves the contract through the app's own IPC handlers
// (electron/main/ipcHandlers.ts: argument validation, Result wrapping), so a test sees exactly what
// the window sees: Result<T> for each call and every ProgrammerEvent pushed on the event channel.
// It must run in a process started with VirtualUsbHost.clientEnv() (umockdev's preload is only
// honoured from process start); programmerProcess.ts starts and drives it over Node's IPC channel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelFor, type ProgrammerEvent, type ProgrammerMethod, type Result } from '../core/contract/programmer.js';
import { SimulatorBus } from '../core/simulator/bus.js';
import { createIpcHandlers } from '../electron/main/ipcHandlers.js';
import { createNodeHost } from '../electron/main/nodeHost.js';
import { NodeUsbBus } from '../node/nodeUsb.js';
import { ProgrammerService } from '../electron/main/programmer.js';
import { realClock } from '../node/realClock.js';

/** Parent -> client: one contract call, arguments as the renderer would pass them. */
export interface ProgrammerCall {
  readonly id: number;
  readonly method: ProgrammerMethod;
  readonly args: unknown[];
}

/** Client -> parent. `bugs` are internal errors the service or the handlers reported. */
export type ProgrammerClientMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: Result<unknown> }
  | { readonly type: 'event'; readonly event: ProgrammerEvent }
  | { readonly type: 'bug'; readonly message: string };

// The settings file and the per-day logs go to a folder of their own, removed on exit.
const userDataDirectory = mkdtempSync(join(tmpdir(), 'dfu-desk-programmer-'));
const send = (message: ProgrammerClientMessage) => process.send?.(message);
const reportBug = (error: unknown) => send({ type: 'bug', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });

const host = createNodeHost({
  userDataDirectory,
  appVersion: '0.0.0-usb-harness',
  clock: realClock,
  // No window: every dialog is "cancelled". Tests open images as bytes.
  dialogs: { openFirmware: () => Promise.resolve(undefined), saveFile: () => Promise.resolve(undefined) },
  reportBug,
});
const service = await ProgrammerService.create({
  host,
  simulatorBus: new SimulatorBus(realClock),
  hardwareBus: new NodeUsbBus(),
  // No demo boards: the only devices are the ones the test plugs into the virtual bus.
  demoProfiles: [],
});
service.onEvent((event) => send({ type: 'event', event }));
const handlers = createIpcHandlers<null>(service, {
  isTrustedSender: () => true,
  onInternalError: (method, error) => reportBug(new Error(`internal error in ${method}: ${error instanceof Error ? error.message : String(error)}`)),
});

process.on('message', (message: ProgrammerCall) => {
  const handler = handlers.get(channelFor(message.method));
  const pending = handler
    ? handler(null, ...message.args)
    : Promise.resolve<Result<unknown>>({ ok: false, error: { kind: 'invalid-argument', argument: 'method', reason: `no contract method ${message.method}` } });
  void pending.then((result) => send({ type: 'result', id: message.id, result }));
});
process.on('disconnect', () => {
  void service.dispose().finally(() => {
    rmSync(userDataDirectory, { recursive: true, force: true });
    // The usb package keeps its event thread alive; the parent is gone, so leave.
    setTimeout(() => process.exit(0), 50);
  });
});
send({ type: 'ready' });
