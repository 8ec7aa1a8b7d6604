// What the test host runs: the real Programmer service over a bus of simulated bootloaders, a Node
// host whose dialogs are answered by the spec (open: a queued path; save: a file in the work
// folder), and the test-only controls (plug, unplug, replug, remove, answer the next dialog),
// called in-process by the spec fixture: no page can reach them.
import path from 'node:path';
import { SimulatorBus } from '../../core/simulator/bus.js';
import { createNodeHost } from '../../electron/main/nodeHost.js';
import { createProgrammer, type RunningProgrammer } from './programmerFactory.js';
import { scaledRealClock } from '../../node/realClock.js';
import type { Programmer, ProgrammerEvent } from '../../core/contract/programmer.js';

export type ControlAction = 'plug' | 'unplug' | 'replug' | 'remove' | 'devices' | 'next-open' | 'saved';

/** Each simulated board holds its whole flash in memory (up to 2 MiB): a bound, not a quota. */
const MAX_SIMULATED_DEVICES = 16;

export interface HostService {
  readonly programmer: Programmer;
  onEvent(listener: (event: ProgrammerEvent) => void): () => void;
  control(action: string, body: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export interface HostServiceOptions {
  readonly simulator?: string;
  readonly speed: number;
  readonly workDirectory: string;
}

export async function createHostService(options: HostServiceOptions): Promise<HostService> {
  const clock = scaledRealClock(options.speed);
  const bus = new SimulatorBus(clock);
  const specs = (options.simulator ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  const openQueue: string[] = [];
  const saved: string[] = [];
  const host = createNodeHost({
    userDataDirectory: path.join(options.workDirectory, 'user-data'),
    appVersion: 'test-host',
    clock,
    dialogs: {
      openFirmware: () => Promise.resolve(openQueue.shift()),
      saveFile: ({ defaultName }) => {
        const file = path.join(options.workDirectory, 'saved', defaultName);
        saved.push(file);
        return Promise.resolve(file);
      },
    },
  });
  const service: RunningProgrammer = await createProgrammer({ host, bus, specs });

  function deviceId(body: Record<string, unknown>): string {
    if (typeof body.id === 'string') return body.id;
    const last = bus.all().at(-1);
    if (!last) throw new Error('no simulated device on the bus');
    return last.summary.id;
  }

  return {
    programmer: service.programmer,
    onEvent: (listener) => service.onEvent(listener),
    control(action, body) {
      switch (action as ControlAction) {
        case 'plug': {
          if (bus.all().length >= MAX_SIMULATED_DEVICES) return Promise.reject(new Error(`at most ${MAX_SIMULATED_DEVICES} simulated devices`));
          const device = bus.addSpec(typeof body.spec === 'string' ? body.spec : 'stm32l073');
          return Promise.resolve({ id: device.summary.id });
        }
        case 'unplug':
          bus.device(deviceId(body))?.unplug();
          return Promise.resolve(null);
        case 'replug':
          bus.device(deviceId(body))?.replug();
          return Promise.resolve(null);
        case 'remove':
          bus.remove(deviceId(body));
          return Promise.resolve(null);
        case 'devices':
          return Promise.resolve(bus.all().map((device) => ({ id: device.summary.id, isConnected: device.isConnected })));
        case 'next-open':
          if (typeof body.path !== 'string') return Promise.reject(new Error('next-open needs a path'));
          openQueue.push(body.path);
          return Promise.resolve(null);
        case 'saved':
          return Promise.resolve(saved);
        default:
          return Promise.reject(new Error(`unknown control action ${action}`));
      }
    },
    close: () => service.close(),
  };
}
