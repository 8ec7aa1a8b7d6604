// Opening a device for a command: select it on the bus, connect a DfuseSession whose events go to
// the reporter (labelled with the device when several run at once), and close it again whatever
// happens.
import { formatBcd, formatUsbId } from '../../core/format.js';
import { DfuseSession, type SessionEvent } from '../../core/dfuse/session.js';
import { DfuError } from '../../core/errors.js';
import { sortDevices } from '../../core/usb/deviceOrder.js';
import { describeDevice, type AlternateInfo, type DeviceInfo } from '../../core/usb/descriptors.js';
import type { OpenedDevice, UsbDeviceSummary } from '../../core/usb/transport.js';
import { flagOption, stringOption, usageError, type AltSelector, type OptionValues } from '../args.js';
import type { CliIo } from '../context.js';
import type { Reporter } from '../output/reporter.js';
import type { DeviceAccess } from './deviceAccess.js';
import { describeCandidate, selectDevices } from './selectDevice.js';

export type { PhaseTiming } from '../../core/dfuse/sessionEvents.js';
import type { PhaseTiming } from '../../core/dfuse/sessionEvents.js';

export interface ConnectedDevice {
  readonly summary: UsbDeviceSummary;
  readonly session: DfuseSession;
  /** Phase timings as the session reported them (device time), including failed phases. */
  readonly timings: PhaseTiming[];
}

/** Lists the bus and applies --device / --all. */
export async function chooseDevices(access: DeviceAccess, values: OptionValues): Promise<UsbDeviceSummary[]> {
  // Sorted as `dfu-desk list` prints them, so candidates and --all results come in a stable order.
  const devices = sortDevices(await access.bus.list());
  const selector = stringOption(values, 'device');
  return selectDevices(devices, { ...(selector !== undefined ? { selector } : {}), all: flagOption(values, 'all') });
}

/** The one device a single-device command works on. */
export async function chooseOneDevice(access: DeviceAccess, values: OptionValues): Promise<UsbDeviceSummary> {
  const devices = await chooseDevices(access, values);
  if (devices.length > 1) {
    throw new DfuError({ kind: 'ambiguous-device', candidates: devices.map(describeCandidate) });
  }
  return devices[0]!;
}

/**
 * Opens the device and parses its descriptors without sending any DFU request, so a file that
 * does not fit the device is refused before the device is touched at all.
 */
export async function openDevice(access: DeviceAccess, summary: UsbDeviceSummary): Promise<{ opened: OpenedDevice; info: DeviceInfo }> {
  const opened = await access.bus.open(summary.id);
  try {
    return { opened, info: describeDevice(opened) };
  } catch (error) {
    await opened.transport.close().catch(() => undefined);
    throw error;
  }
}

/** Connects a session (recovery to dfuIDLE) with events routed to the reporter. */
export async function connectSession(options: {
  readonly access: DeviceAccess;
  readonly opened: OpenedDevice;
  readonly reporter: Reporter;
  readonly io: CliIo;
  /** The device id every event carries. */
  readonly label: string | undefined;
}): Promise<ConnectedDevice> {
  const { opened, reporter, label } = options;
  const timings: PhaseTiming[] = [];
  const onEvent = (event: SessionEvent) => {
    switch (event.type) {
      case 'phase':
        if (event.status === 'start') reporter.phase(label, event.phase, 'start');
        else {
          reporter.phase(label, event.phase, event.status === 'failed' ? 'failed' : 'finish');
          timings.push({ phase: event.phase, elapsedMs: Math.round(event.elapsedMs ?? 0), bytes: event.bytes });
        }
        return;
      case 'progress':
        reporter.progress(label, event.phase, event.done, event.total);
        return;
      case 'log':
        reporter.log(label, event.level, event.message, event.data);
        return;
    }
  };
  try {
    const session = await DfuseSession.open(opened, { clock: options.access.clock, onEvent, signal: options.io.signal });
    return { summary: opened.summary, session, timings };
  } catch (error) {
    await opened.transport.close().catch(() => undefined);
    throw error;
  }
}

/** Resolves --alt against the device's alt settings; the error lists what the device has. */
export function resolveAlternate(info: DeviceInfo, selector: AltSelector): AlternateInfo {
  const found =
    selector.kind === 'index'
      ? info.alternates.find((alt) => alt.alternate === selector.index)
      : info.alternates.find((alt) => alt.name.trim().toLowerCase() === selector.name.toLowerCase());
  if (found) return found;
  const available = info.alternates.map((alt) => `${alt.alternate} "${alt.name}"`).join(', ') || 'none';
  const wanted = selector.kind === 'index' ? `alt setting ${selector.index}` : `no alt setting named "${selector.name}"`;
  throw usageError('--alt', `${selector.kind === 'index' ? `the device has no ${wanted}` : `the device has ${wanted}`} (it has ${available})`);
}

/** A short identity line: "sim:1 0483:df11 serial 7FB4A4356231 at sim-1 (STM32L0, bootloader 0x2200, simulated)". */
export function deviceLine(info: DeviceInfo): string {
  const serial = info.serialNumber ? `serial ${info.serialNumber}` : 'no serial';
  const family = info.family === 'unknown' ? 'family unknown' : `STM32${info.family}`;
  return `${info.id} ${formatUsbId(info.vendorId, info.productId)} ${serial} at ${info.path} (${family}, bootloader ${formatBcd(info.bcdDevice)}${info.isSimulated ? ', simulated' : ''})`;
}

export function deviceSummaryJson(device: UsbDeviceSummary): Record<string, unknown> {
  return {
    id: device.id,
    vendorId: device.vendorId,
    productId: device.productId,
    bcdDevice: device.bcdDevice,
    serialNumber: device.serialNumber ?? null,
    path: device.path,
    product: device.product ?? null,
    isSimulated: device.isSimulated,
  };
}

/** A connected device: the summary fields plus the family guess. */
export function deviceIdentityJson(info: DeviceInfo): Record<string, unknown> {
  return { ...deviceSummaryJson(info), family: info.family };
}
