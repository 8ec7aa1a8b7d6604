// Which devices a command sees: real USB through the `usb` package (loaded lazily, so `image`,
// `layout` and every --simulate run work even where the native module cannot load), or the
// built-in simulator with --simulate, never both, so simulated runs are reproducible on a machine
// with boards attached.
import { DfuError } from '../../core/errors.js';
import { SimulatorBus } from '../../core/simulator/bus.js';
import { ScaledClock, type TimerClock } from '../../core/clock.js';
import { nodeTimers, realClock } from '../../node/realClock.js';
import type { UsbBus } from '../../core/usb/transport.js';
// Type only: the module itself (and the native `usb` it loads) is imported lazily below.
import type { NodeUsbBus } from '../../node/nodeUsb.js';
import { parsePositiveNumber, stringListOption, stringOption, type OptionValues } from '../args.js';
import type { CliIo } from '../context.js';
import { parseSimulateOption, type SimulateRequest } from './simulateSpec.js';

export interface DeviceAccess {
  readonly bus: UsbBus;
  readonly isSimulated: boolean;
  /** The clock sessions on this bus run on: real time, or scaled real time for the simulator. */
  readonly clock: TimerClock;
  /** Plugs the simulated devices in one by one (station-mode tests); a no-op otherwise. */
  startHotplug(): void;
  close(): void;
}

export function simulateRequests(values: OptionValues): SimulateRequest[] {
  return stringListOption(values, 'simulate').map(parseSimulateOption);
}

export function simulationSpeed(values: OptionValues, env: CliIo['env']): number {
  const text = stringOption(values, 'sim-speed') ?? env.DFU_DESK_SIM_SPEED;
  if (text === undefined || text === '') return 1;
  return parsePositiveNumber(stringOption(values, 'sim-speed') !== undefined ? '--sim-speed' : 'DFU_DESK_SIM_SPEED', text);
}

/**
 * Validates the device options before anything is opened, so bad --simulate specs are usage errors
 * that come before file or device errors.
 */
export function checkDeviceOptions(values: OptionValues, env: CliIo['env']): void {
  simulateRequests(values);
  simulationSpeed(values, env);
}

export async function openDeviceAccess(
  values: OptionValues,
  io: CliIo,
  options: { readonly hotplugIntervalMs?: number } = {},
): Promise<DeviceAccess> {
  const requests = simulateRequests(values);
  if (requests.length > 0) {
    // Simulated boards take as long as real ones unless --sim-speed makes them faster; sub-millisecond
    // waits resolve on the next turn (core/clock.ts), so fast simulations stay fast.
    const clock = new ScaledClock({ ...nodeTimers, now: () => io.now() }, { speed: simulationSpeed(values, io.env) });
    const bus = new SimulatorBus(clock);
    const queue = requests.flatMap((request) => Array.from({ length: request.count }, () => request.spec));
    const timers: NodeJS.Timeout[] = [];
    if (options.hotplugIntervalMs === undefined) for (const spec of queue) bus.addSpec(spec);
    return {
      bus,
      isSimulated: true,
      clock,
      startHotplug() {
        if (options.hotplugIntervalMs === undefined) return;
        queue.forEach((spec, index) => timers.push(setTimeout(() => bus.addSpec(spec), index * options.hotplugIntervalMs!)));
      },
      close() {
        timers.forEach((timer) => clearTimeout(timer));
      },
    };
  }
  let loaded: { NodeUsbBus: typeof NodeUsbBus };
  try {
    const usb = await import('../../node/nodeUsb.js');
    loaded = { NodeUsbBus: usb.NodeUsbBus };
  } catch (error) {
    throw new DfuError(
      {
        kind: 'transport',
        during: 'loading USB support',
        detail: `the native 'usb' module could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); reinstall with \`npm install\`, or try --simulate`,
      },
      { cause: error },
    );
  }
  return {
    bus: new loaded.NodeUsbBus({ platform: io.platform }),
    isSimulated: false,
    clock: realClock,
    startHotplug() {},
    close() {},
  };
}
