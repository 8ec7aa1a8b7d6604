// Constructs the Programmer service exactly as the Electron composition root does, minus Electron.
import type { Programmer, ProgrammerEvent } from '../../core/api.js';
import type { UsbBus } from '../../core/usb/transport.js';
import type { Host } from '../../electron/main/host.js';

export interface ProgrammerService {
  readonly programmer: Programmer;
  onEvent(listener: (event: ProgrammerEvent) => void): () => void;
  close(): Promise<void>;
}

export function createProgrammer(_options: { host: Host; bus: UsbBus }): Promise<ProgrammerService> {
  return Promise.reject(new Error('electron/main/programmer.ts has not landed yet'));
}
