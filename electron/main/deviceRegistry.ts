// The device list the window shows: real USB devices (when the usb binary loaded) and the
// simulated demo devices, which are listed when the user asked for them, when no hardware is
// attached, or when DFU_SIMULATOR chose one. Hotplug on either bus refreshes the list.

import type { DeviceSummary } from '../../core/contract/programmer.js';
import type { SimulatorBus } from '../../core/simulator/bus.js';
import { CompositeBus } from '../../core/usb/compositeBus.js';
import { sortDevices } from '../../core/usb/deviceOrder.js';
import type { BusEvent, OpenedDevice, UsbBus } from '../../core/usb/transport.js';

export interface DeviceRegistryOptions {
  readonly hardware?: UsbBus;
  readonly simulator: SimulatorBus;
  /** DFU_SIMULATOR was given: its device is always listed. */
  readonly isSimulatorForced: boolean;
  readonly showSimulated: boolean;
  /** A device the service holds (connected) stays listed while it is attached. */
  readonly isPinned: (id: string) => boolean;
  readonly onHardwareError: (error: unknown) => void;
}

export class DeviceRegistry {
  private readonly options: DeviceRegistryOptions;
  private readonly bus: CompositeBus;
  private showSimulated: boolean;
  private visible: DeviceSummary[] = [];
  /** Refreshes run one after another so a slow listing never overwrites a newer one. */
  private refreshing: Promise<DeviceSummary[]> = Promise.resolve([]);

  constructor(options: DeviceRegistryOptions) {
    this.options = options;
    this.showSimulated = options.showSimulated;
    this.bus = new CompositeBus(options.hardware ? [options.hardware, options.simulator] : [options.simulator]);
  }

  get devices(): DeviceSummary[] {
    return this.visible;
  }

  setShowSimulated(show: boolean): void {
    this.showSimulated = show;
  }

  isListed(id: string): boolean {
    return this.visible.some((device) => device.id === id);
  }

  refresh(): Promise<DeviceSummary[]> {
    this.refreshing = this.refreshing.then(
      () => this.list(),
      () => this.list(),
    );
    return this.refreshing;
  }

  open(id: string): Promise<OpenedDevice> {
    return this.bus.open(id);
  }

  /** Hotplug from both buses. Returns an unsubscribe function. */
  watch(listener: (event: BusEvent) => void): () => void {
    return this.bus.watch(listener);
  }

  private async list(): Promise<DeviceSummary[]> {
    let hardware: DeviceSummary[] = [];
    if (this.options.hardware) {
      try {
        hardware = await this.options.hardware.list();
      } catch (error) {
        this.options.onHardwareError(error);
      }
    }
    const simulated = await this.options.simulator.list();
    const showAll = this.options.isSimulatorForced || this.showSimulated || hardware.length === 0;
    // libusb lists the newest device first; a stable order keeps boards in place across replugs.
    this.visible = sortDevices([...hardware, ...simulated.filter((device) => showAll || this.options.isPinned(device.id))]);
    return this.visible;
  }
}
