// Test harness for the programmer service: an in-memory Host on virtual time and a simulator bus,
// shared by the service's own tests and the tests that run the same case through the CLI.

import type { JobResult, ProgrammerEvent, SessionSnapshot } from '../../../core/contract/programmer.js';
import { DfuError } from '../../../core/errors.js';
import { writeIntelHex } from '../../../core/image/intelHex.js';
import { MemoryImage } from '../../../core/image/memoryImage.js';
import { SimulatorBus } from '../../../core/simulator/bus.js';
import { VirtualClock } from '../../../core/clock.js';
import type { Host } from '../host.js';
import type { ProgrammerServiceOptions } from '../programmer.js';
import { ProgrammerService } from '../programmer.js';

export const FLASH = 0x0800_0000;

/** A small Cortex-M image: vector table (SP in SRAM, reset in the image with the Thumb bit) + code. */
export function firmware(size = 3000, seed = 1): MemoryImage {
  const data = new Uint8Array(size);
  for (let index = 8; index < size; index += 1) data[index] = (index * 31 + seed * 7) & 0xff;
  new DataView(data.buffer).setUint32(0, 0x2000_5000, true);
  new DataView(data.buffer).setUint32(4, FLASH + 0x101, true);
  return MemoryImage.fromBytes(FLASH, data);
}

export function hexBytes(image: MemoryImage): Uint8Array {
  return new TextEncoder().encode(writeIntelHex(image));
}

export interface TestHost extends Host {
  readonly clock: VirtualClock;
  readonly fileSystem: Map<string, Uint8Array | string>;
  readonly watchers: Map<string, () => void>;
  readonly bugs: unknown[];
  savePath: string | undefined;
  /** The default name each save dialog proposed, in order. */
  savedNames: string[];
  openPath: string | undefined;
  storedSettings: unknown;
}

export function memoryHost(): TestHost {
  const fileSystem = new Map<string, Uint8Array | string>();
  const watchers = new Map<string, () => void>();
  const bugs: unknown[] = [];
  const host: TestHost = {
    clock: new VirtualClock(Date.UTC(2025, 10, 23, 12, 0, 0)),
    fileSystem,
    watchers,
    bugs,
    savePath: undefined,
    savedNames: [],
    openPath: undefined,
    storedSettings: undefined,
    dialogs: {
      openFirmware: () => Promise.resolve(host.openPath),
      saveFile: ({ defaultName }) => {
        host.savedNames.push(defaultName);
        return Promise.resolve(host.savePath);
      },
    },
    files: {
      readFile: (path) => {
        const content = fileSystem.get(path);
        if (content === undefined) return Promise.reject(new Error(`ENOENT: no such file, open '${path}'`));
        return Promise.resolve(typeof content === 'string' ? new TextEncoder().encode(content) : content);
      },
      stat: (path) => {
        const content = fileSystem.get(path);
        if (content === undefined) return Promise.reject(new Error(`ENOENT: no such file, stat '${path}'`));
        return Promise.resolve({ sizeBytes: content.length, modifiedMs: 0 });
      },
      writeFile: (path, data) => {
        fileSystem.set(path, data);
        return Promise.resolve();
      },
      appendFile: (path, text) => {
        fileSystem.set(path, `${(fileSystem.get(path) as string | undefined) ?? ''}${text}`);
        return Promise.resolve();
      },
      rename: (from, to) => {
        const content = fileSystem.get(from);
        if (content === undefined) return Promise.reject(new Error(`ENOENT: no such file, rename '${from}' -> '${to}'`));
        fileSystem.delete(from);
        fileSystem.set(to, content);
        return Promise.resolve();
      },
      remove: (path) => {
        fileSystem.delete(path);
        return Promise.resolve();
      },
      list: (directory) => {
        const prefix = `${directory}/`;
        const names = [...fileSystem.keys()].filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'));
        return Promise.resolve(
          names.map((path) => {
            const content = fileSystem.get(path)!;
            return { name: path.slice(prefix.length), sizeBytes: typeof content === 'string' ? new TextEncoder().encode(content).length : content.length };
          }),
        );
      },
      watch: (path, onChange) => {
        watchers.set(path, onChange);
        return () => watchers.delete(path);
      },
    },
    settings: {
      load: () => Promise.resolve(host.storedSettings),
      save: (settings) => {
        host.storedSettings = settings;
        return Promise.resolve();
      },
    },
    logDirectory: '/user-data/logs',
    sha256: () => 'ab'.repeat(32),
    appVersion: '0.1.0-test',
    joinPath: (directory, name) => `${directory}/${name}`,
    baseName: (path) => path.slice(path.lastIndexOf('/') + 1),
    reportBug: (error) => bugs.push(error),
  };
  return host;
}

export async function setup(options: Partial<ProgrammerServiceOptions> & { spec?: string } = {}) {
  const host = memoryHost();
  const simulatorBus = new SimulatorBus(host.clock);
  const events: ProgrammerEvent[] = [];
  const service = await ProgrammerService.create({
    host,
    simulatorBus,
    hardwareUnavailableReason: 'not in tests',
    ...(options.spec !== undefined ? { simulatorSpec: options.spec } : {}),
    ...options,
  });
  service.onEvent((event) => events.push(event));
  const snapshot = () => service.getSnapshot();
  const lastSession = (): SessionSnapshot => {
    const sessions = events.filter((event): event is Extract<ProgrammerEvent, { type: 'session' }> => event.type === 'session');
    return sessions[sessions.length - 1]!.session;
  };
  const device = (id: string) => simulatorBus.device(id)!;
  return { host, simulatorBus, service, events, snapshot, lastSession, device };
}

export async function rejection(promise: Promise<unknown>): Promise<DfuError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DfuError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

export function expectOk(result: JobResult): void {
  if (!result.ok) throw new Error(`job failed: ${JSON.stringify(result.error)}`);
}

