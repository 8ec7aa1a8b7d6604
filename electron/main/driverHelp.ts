// What to do when the OS will not let DFU Desk open the bootloader: the udev rule on Linux, the
// WinUSB driver on Windows (ST's DfuSe driver is not WinUSB, so libusb cannot use it), nothing on
// macOS. Shown from Help > USB Access and Drivers; the text comes from core/devices/usbAccess.ts,
// the same source as the CLI's hint and the packaged rules file.
import { usbAccessHelp } from '../../core/devices/usbAccess.js';

export interface DriverHelp {
  readonly title: string;
  readonly message: string;
  readonly detail: string;
}

/** `udevRulePath`: the rules file the app carries (resources/udev/50-dfu-desk.rules). */
export function driverHelp(platform: string, udevRulePath: string): DriverHelp {
  const help = usbAccessHelp(platform, { file: udevRulePath });
  return {
    title: help.title,
    message: help.summary,
    detail: [...help.commands.map((command) => `  ${command}`), ...help.steps].join('\n'),
  };
}
