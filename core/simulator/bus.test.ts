import { DFU_GETSTATE } from '../dfu/spec.js';
import { isDfuError } from '../errors.js';
import type { BusEvent } from '../usb/transport.js';
import { SimulatorBus } from './bus.js';
import { VirtualClock } from '../clock.js';

describe('SimulatorBus', () => {
  it('lists several devices, equal serials told apart by path, and emits attach/detach on hotplug', async () => {
    const clock = new VirtualClock();
    const bus = new SimulatorBus(clock);
    const events: BusEvent[] = [];
    bus.watch((event) => events.push(event));
    const a = bus.addSpec('stm32f072');
    const b = bus.addSpec('stm32f072:readProtected');
    bus.addSpec('stm32l073');
    const listed = await bus.list();
    expect(listed.map((d) => [d.id, d.path, d.serialNumber])).toEqual([
      ['sim:1', 'sim-1', 'FFFFFFFEFFFF'],
      ['sim:2', 'sim-2', 'FFFFFFFEFFFF'],
      ['sim:3', 'sim-3', '7FB4A4356231'],
    ]);
    expect(listed.every((d) => d.isSimulated)).toBe(true);
    a.unplug();
    expect((await bus.list()).map((d) => d.id)).toEqual(['sim:2', 'sim:3']);
    a.replug();
    bus.remove('sim:3');
    expect(events.map((e) => (e.type === 'attach' ? `+${e.device.id}` : `-${e.id}`))).toEqual(['+sim:1', '+sim:2', '+sim:3', '-sim:1', '+sim:1', '-sim:3']);
    expect(b.readProtectionLevel).toBe(1);
  });

  it('opens connected devices only and reports a device reset as detach then attach', async () => {
    const clock = new VirtualClock();
    const bus = new SimulatorBus(clock);
    const device = bus.addSpec('stm32f405');
    const events: string[] = [];
    const unsubscribe = bus.watch((event) => events.push(event.type));
    const opened = await bus.open('sim:1');
    expect(opened.interfaceNumber).toBe(0);
    expect(opened.descriptors.device.length).toBe(18);
    expect(await opened.transport.controlIn(DFU_GETSTATE, 0, 1)).toEqual(Uint8Array.of(2));
    await opened.transport.controlOut(0, 100); // DFU_DETACH: re-enumerates
    expect(events).toEqual(['detach']);
    const gone = await bus.open('sim:1').catch((error: unknown) => error);
    expect(isDfuError(gone, 'no-device')).toBe(true);
    clock.advance(device.profile.timings.reenumerateMs);
    expect(events).toEqual(['detach', 'attach']);
    unsubscribe();
    expect(() => bus.add(device)).toThrow(/already on the bus/);
  });
});
