// The frame of every single-device command (info, read, erase, options, unprotect, leave): open the
// device access, pick the one device, connect a session, run, and always close both.
import type { CommandContext } from '../context.js';
import { openDeviceAccess, type DeviceAccess } from '../devices/deviceAccess.js';
import { chooseOneDevice, connectSession, openDevice, type ConnectedDevice } from '../devices/deviceSession.js';
import type { DeviceInfo } from '../../core/usb/descriptors.js';
import { DfuError } from '../../core/errors.js';

/**
 * A refusal made only because the flash size is in doubt (a mass erase where smaller parts send
 * the same description) and nobody gave one: connecting may settle it, since it reads the
 * flash-size register there. Commands that check before connecting wait for the connect instead
 * of refusing; when it learns nothing, the refusal stands before any erase.
 */
export function waitsForFlashSize(error: unknown, info: DeviceInfo, userFlashSizeBytes: number | undefined): error is DfuError {
  return (
    error instanceof DfuError &&
    error.info.kind === 'invalid-argument' &&
    error.info.argument === '--flash-size' &&
    userFlashSizeBytes === undefined &&
    info.flashSizeBytes === undefined
  );
}

export interface DeviceCommandHooks<T> {
  /** Checks that need the device's descriptors but must come before any DFU request. */
  readonly check?: (info: DeviceInfo) => void;
  readonly run: (device: ConnectedDevice, access: DeviceAccess) => Promise<T>;
}

export async function withOneDevice<T>(context: CommandContext, hooks: DeviceCommandHooks<T>): Promise<T> {
  const access = await openDeviceAccess(context.values, context.io);
  try {
    const summary = await chooseOneDevice(access, context.values);
    const { opened, info } = await openDevice(access, summary);
    try {
      hooks.check?.(info);
    } catch (error) {
      await opened.transport.close().catch(() => undefined);
      throw error;
    }
    const device = await connectSession({ access, opened, reporter: context.reporter, io: context.io, label: summary.id });
    try {
      // Connecting may learn the real flash size (the flash-size register, where the descriptor is
      // in doubt): check again with it, so a read or erase stops where the flash really ends.
      if (device.session.info.flashSizeBytes !== info.flashSizeBytes) hooks.check?.(device.session.info);
      return await hooks.run(device, access);
    } finally {
      await device.session.close();
    }
  } finally {
    access.close();
  }
}
