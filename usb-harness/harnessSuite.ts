// What the tests on the virtual USB bus share. describe(): where the bus cannot run (no umockdev,
// not Linux) the suite is skipped and its title says why, so a skipped run never looks like a
// passing one. simulatedBoard(): the boards they plug. useBusWithClient(): the bus and a libusb client.
import { SimulatedDevice } from '../core/simulator/device.js';
import { parseSimulatorSpec } from '../core/simulator/scenarios.js';
import { ScaledClock } from '../core/clock.js';
import { nodeTimers } from '../node/realClock.js';
import { UsbClient } from './clientProcess.js';
import { harnessAvailability } from './hostBuild.js';
import { VirtualUsbHost } from './virtualUsbHost.js';

/** Flash operations run this many times faster than on the chip; the USB side (libusb, usbdevfs ioctls) is real. */
export const HARNESS_SPEED = 100;

export function describeWithHarness(name: string, body: () => void): void {
  const availability = harnessAvailability();
  if (availability.ok) {
    describe(name, body);
    return;
  }
  describe.skip(`${name} [skipped: ${availability.reason}]`, body);
}

/**
 * A simulated board for the bus from a "profile[:scenario]" spec. Its host timeout is long: the
 * libusb client's own timeouts decide, as with a real board (docs/virtual-usb.md §5).
 */
export function simulatedBoard(spec: string, speed = HARNESS_SPEED): SimulatedDevice {
  const { profile, scenario } = parseSimulatorSpec(spec);
  return new SimulatedDevice({ profile, scenario, clock: new ScaledClock(nodeTimers, { speed }), hostTimeoutMs: 60_000 });
}

export interface BusWithClient {
  readonly host: VirtualUsbHost;
  readonly client: UsbClient;
}

/** A virtual bus and one libusb client process for the enclosing describe, started before its tests and stopped after them. */
export function useBusWithClient(): BusWithClient {
  const bus: { host?: VirtualUsbHost; client?: UsbClient } = {};
  beforeAll(async () => {
    bus.host = await VirtualUsbHost.start();
    bus.client = await UsbClient.start(bus.host);
  });
  afterAll(async () => {
    await bus.client?.stop();
    await bus.host?.stop();
  });
  return {
    get host() {
      return bus.host!;
    },
    get client() {
      return bus.client!;
    },
  };
}
