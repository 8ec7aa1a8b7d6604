// Device selection (--device SEL, --all). SEL is a serial number or a USB path, as `dfu-desk list`
// prints them; the bus id ("usb:3-1.4", "sim:2") is accepted too. Boards that report the same
// serial (clones, some GD32 parts) are told apart by path.
import { formatUsbId } from '../../core/format.js';
import { DfuError } from '../../core/errors.js';
import type { UsbDeviceSummary } from '../../core/usb/transport.js';


/** "serial 3868388E3137 at path sim-1 (0483:df11, simulated)" */
export function describeCandidate(device: UsbDeviceSummary): string {
  const serial = device.serialNumber ? `serial ${device.serialNumber}` : 'no serial';
  return `${serial} at path ${device.path} (${formatUsbId(device.vendorId, device.productId)}${device.isSimulated ? ', simulated' : ''})`;
}

/** Error with the candidates attached, so the CLI can list them for the user. */
export class SelectionError extends DfuError {
  constructor(
    info: ConstructorParameters<typeof DfuError>[0],
    readonly candidates: readonly UsbDeviceSummary[],
  ) {
    super(info);
  }
}

export function selectDevices(devices: readonly UsbDeviceSummary[], options: { selector?: string; all?: boolean }): UsbDeviceSummary[] {
  const { selector } = options;
  if (selector !== undefined) {
    const bySerial = devices.filter((device) => device.serialNumber === selector);
    const byPath = devices.filter((device) => device.path === selector || device.id === selector);
    const matches = byPath.length > 0 ? byPath : bySerial;
    if (matches.length === 0) throw new SelectionError({ kind: 'no-device', selector }, devices);
    if (matches.length > 1 && !options.all) {
      throw new SelectionError({ kind: 'ambiguous-device', selector, candidates: matches.map(describeCandidate) }, matches);
    }
    return matches;
  }
  if (devices.length === 0) throw new SelectionError({ kind: 'no-device' }, devices);
  if (options.all || devices.length === 1) return [...devices];
  throw new SelectionError({ kind: 'ambiguous-device', candidates: devices.map(describeCandidate) }, devices);
}
