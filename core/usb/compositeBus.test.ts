import { CompositeBus } from './compositeBus.js';
import type { BusEvent, OpenedDevice, UsbBus, UsbDeviceSummary } from './transport.js';
import { isDfuError } from '../errors.js';

function fakeBus(prefix: string, count: number): UsbBus & { emit(event: BusEvent): void; opened: string[] } {
  const listeners = new Set<(event: BusEvent) => void>();
  const opened: string[] = [];
  const devices: UsbDeviceSummary[] = Array.from({ length: count }, (_, i) => ({
    id: `${prefix}:${i}`,
    vendorId: 0x0483,
    productId: 0xdf11,
    bcdDevice: 0x2200,
    path: `${prefix}-${i}`,
    isSimulated: prefix === 'sim',
  }));
  return {
    opened,
    list: () => Promise.resolve(devices),
    open: (id) => {
      opened.push(id);
      return Promise.resolve({ summary: devices.find((d) => d.id === id)! } as OpenedDevice);
    },
    watch: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (event) => listeners.forEach((listener) => listener(event)),
  };
}

describe('CompositeBus', () => {
  it('lists the devices of every bus and opens each on the bus that listed it', async () => {
    const usb = fakeBus('usb', 1);
    const sim = fakeBus('sim', 2);
    const bus = new CompositeBus([usb, sim]);
    expect((await bus.list()).map((d) => d.id)).toEqual(['usb:0', 'sim:0', 'sim:1']);
    await bus.open('sim:1');
    expect(sim.opened).toEqual(['sim:1']);
    expect(usb.opened).toEqual([]);
  });

  it('reports an unknown id as no-device', async () => {
    const bus = new CompositeBus([fakeBus('usb', 1)]);
    const error: unknown = await bus.open('usb:7').catch((e: unknown) => e);
    expect(isDfuError(error, 'no-device')).toBe(true);
  });

  it('forwards hotplug events from every bus until unsubscribed', () => {
    const usb = fakeBus('usb', 0);
    const sim = fakeBus('sim', 0);
    const events: BusEvent[] = [];
    const unsubscribe = new CompositeBus([usb, sim]).watch((event) => events.push(event));
    sim.emit({ type: 'detach', id: 'sim:0' });
    unsubscribe();
    usb.emit({ type: 'detach', id: 'usb:0' });
    expect(events).toEqual([{ type: 'detach', id: 'sim:0' }]);
  });
});
