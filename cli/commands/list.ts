// `dfu-desk list`: the DFU devices on the bus, with what is needed to pick one (serial, path).
import { formatBcd, formatUsbId } from '../../core/format.js';
import { sortDevices } from '../../core/usb/deviceOrder.js';
import { commonOptions, deviceOptions, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { openDeviceAccess } from '../devices/deviceAccess.js';
import { deviceSummaryJson } from '../devices/deviceSession.js';
import { ExitCode } from '../exitCodes.js';
import { formatTable } from '../output/table.js';

const { device: _device, ...listDeviceOptions } = deviceOptions;

const spec: CommandSpec = {
  name: 'list',
  summary: 'List connected DFU devices with VID:PID, serial number, bootloader version and USB path.',
  positionals: [],
  options: { ...commonOptions, ...listDeviceOptions },
  notes: ['Example: dfu-desk list --simulate stm32l073x2 --simulate stm32f405'],
};



async function run(context: CommandContext): Promise<CommandOutcome> {
  const access = await openDeviceAccess(context.values, context.io);
  try {
    // libusb lists the newest device first: sort so the rows keep their places across replugs.
    const devices = sortDevices(await access.bus.list());
    if (devices.length === 0) {
      context.reporter.text('No DFU devices found. Put the board in DFU mode (BOOT0 high, then reset) or try --simulate stm32l073.');
    } else {
      const rows = devices.map((device) => [
        device.id,
        formatUsbId(device.vendorId, device.productId),
        device.serialNumber ?? '-',
        formatBcd(device.bcdDevice),
        device.path,
        `${device.product ?? ''}${device.isSimulated ? ' (simulated)' : ''}`.trim(),
      ]);
      context.reporter.text(formatTable(['id', 'vid:pid', 'serial', 'bootloader', 'path', 'product'], rows));
    }
    return { exitCode: ExitCode.ok, result: { devices: devices.map(deviceSummaryJson) } };
  } finally {
    access.close();
  }
}

export const listCommand: Command = { spec, run };
