// Constructs the Programmer service the way the Electron composition root does, minus Electron:
// no hardware bus, only the simulator. The first spec is DFU_SIMULATOR (created and connected by
// the service itself); further specs are plugged in as extra simulated boards.
import { ProgrammerService } from '../../electron/main/programmer.js';
import type { Programmer, ProgrammerEvent } from '../../core/contract/programmer.js';
import type { SimulatorBus } from '../../core/simulator/bus.js';
import type { Host } from '../../electron/main/host.js';

export interface RunningProgrammer {
  readonly programmer: Programmer;
  onEvent(listener: (event: ProgrammerEvent) => void): () => void;
  close(): Promise<void>;
}

export async function createProgrammer(options: { host: Host; bus: SimulatorBus; specs: readonly string[] }): Promise<RunningProgrammer> {
  const [first, ...rest] = options.specs;
  const service = await ProgrammerService.create({
    host: options.host,
    simulatorBus: options.bus,
    hardwareUnavailableReason: 'browser test host (simulated devices only)',
    demoProfiles: [],
    ...(first !== undefined ? { simulatorSpec: first } : {}),
  });
  for (const spec of rest) options.bus.addSpec(spec);
  return {
    programmer: service,
    onEvent: (listener) => service.onEvent(listener),
    close: () => service.dispose(),
  };
}
