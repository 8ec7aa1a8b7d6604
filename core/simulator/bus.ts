// A USB bus of simulated bootloaders: several devices, hotplug events, equal serial numbers allowed
// (the path tells them apart, as on real production benches with F0 boards that all report
// "FFFFFFFEFFFF").
import { DfuError } from '../errors.js';
import type { BusEvent, Clock, OpenedDevice, UsbBus, UsbDeviceSummary } from '../usb/transport.js';
import { SimulatedDevice } from './device.js';
import type { SimulatedDeviceOptions } from './device.js';
import { parseSimulatorSpec } from './scenarios.js';

interface Attached {
  readonly device: SimulatedDevice;
  readonly unsubscribe: () => void;
}

export class SimulatorBus implements UsbBus {
  private readonly clock: Clock;
  private readonly devices = new Map<string, Attached>();
  private readonly listeners = new Set<(event: BusEvent) => void>();
  private nextNumber = 1;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Attaches a device (emits 'attach' when it is connected). Its id must be unique on this bus. */
  add(device: SimulatedDevice): SimulatedDevice {
    const id = device.summary.id;
    if (this.devices.has(id)) {
      throw new DfuError({ kind: 'invalid-argument', argument: 'simulator', reason: `a simulated device with id ${id} is already on the bus` });
    }
    const unsubscribe = device.onConnectionChange((isConnected) =>
      this.emit(isConnected ? { type: 'attach', device: device.summary } : { type: 'detach', id }),
    );
    this.devices.set(id, { device, unsubscribe });
    if (device.isConnected) this.emit({ type: 'attach', device: device.summary });
    return device;
  }

  /**
   * Creates and attaches a device from "profile[:scenario]" with the next free id ("sim:1",
   * "sim:2", ...) and path ("sim-1", ...); the serial stays the profile's unless given.
   */
  addSpec(spec: string, options: Omit<SimulatedDeviceOptions, 'profile' | 'scenario' | 'clock'> = {}): SimulatedDevice {
    const { profile, scenario } = parseSimulatorSpec(spec);
    let number = this.nextNumber;
    while (this.devices.has(`sim:${number}`)) number++;
    this.nextNumber = number + 1;
    return this.add(new SimulatedDevice({ id: `sim:${number}`, path: `sim-${number}`, ...options, profile, scenario, clock: this.clock }));
  }

  /** Detaches a device for good (emits 'detach' if it was connected). */
  remove(id: string): void {
    const attached = this.devices.get(id);
    if (!attached) return;
    attached.unsubscribe();
    this.devices.delete(id);
    if (attached.device.isConnected) this.emit({ type: 'detach', id });
  }

  device(id: string): SimulatedDevice | undefined {
    return this.devices.get(id)?.device;
  }

  all(): SimulatedDevice[] {
    return [...this.devices.values()].map((attached) => attached.device);
  }

  /** USB handles opened on this bus and not closed, over every device (gone ones too). */
  openHandles(): number {
    return this.all().reduce((n, device) => n + device.openHandles, 0);
  }

  list(): Promise<UsbDeviceSummary[]> {
    return Promise.resolve(this.all().filter((device) => device.isConnected).map((device) => device.summary));
  }

  open(id: string): Promise<OpenedDevice> {
    const device = this.devices.get(id)?.device;
    if (!device || !device.isConnected) return Promise.reject(new DfuError({ kind: 'no-device', selector: id }));
    return Promise.resolve(device.open());
  }

  watch(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: BusEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
