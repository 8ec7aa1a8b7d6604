import { DfuError } from '../errors.js';
import type { BusEvent, OpenedDevice, UsbBus, UsbDeviceSummary } from './transport.js';

/**
 * Several buses seen as one: real USB and simulated devices side by side. Device ids are unique
 * across buses because each bus prefixes its own ("usb:", "sim:"); the bus that listed an id opens it.
 */
export class CompositeBus implements UsbBus {
  private readonly buses: readonly UsbBus[];

  constructor(buses: readonly UsbBus[]) {
    this.buses = buses;
  }

  async list(): Promise<UsbDeviceSummary[]> {
    const lists = await Promise.all(this.buses.map((bus) => bus.list()));
    return lists.flat();
  }

  async open(id: string): Promise<OpenedDevice> {
    for (const bus of this.buses) {
      const devices = await bus.list();
      if (devices.some((device) => device.id === id)) return bus.open(id);
    }
    throw new DfuError({ kind: 'no-device', selector: id });
  }

  watch(listener: (event: BusEvent) => void): () => void {
    const unsubscribers = this.buses.map((bus) => bus.watch(listener));
    return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }
}
