// Parent side of usbClient.ts: starts the libusb client process with the testbed environment and
// calls its operations. Failures come back as SerializedError, rethrown here as ClientError so a
// test can assert on the DfuError info or TransferError failure the adapter produced.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusEvent } from '../core/usb/transport.js';
import type { Operations, SerializedError } from './usbClient.js';
import type { VirtualUsbHost } from './virtualUsbHost.js';

const clientScript = join(dirname(fileURLToPath(import.meta.url)), 'usbClient.ts');

export class ClientError extends Error {
  readonly serialized: SerializedError;

  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = `ClientError(${serialized.name})`;
    this.serialized = serialized;
  }
}

type Message =
  | { type: 'ready' }
  | { type: 'result'; id: number; value?: unknown; error?: SerializedError }
  | { type: 'bus-event'; event: BusEvent };

export class UsbClient {
  readonly busEvents: BusEvent[] = [];
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly eventWaiters: { match: (event: BusEvent) => boolean; resolve: (event: BusEvent) => void }[] = [];
  private nextId = 1;
  private exit: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (message: Message) => this.onMessage(message));
    child.once('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`usb client exited (code ${code})`));
      this.pending.clear();
    });
  }

  static async start(host: VirtualUsbHost, env: NodeJS.ProcessEnv = {}): Promise<UsbClient> {
    const child = fork(clientScript, [], {
      execArgv: ['--import', 'tsx'],
      env: host.clientEnv({ ...process.env, ...env }),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`usb client exited during start-up (code ${code})`)));
      child.once('message', () => resolve());
    });
    return new UsbClient(child);
  }

  call<K extends keyof Operations>(operation: K, ...args: Parameters<Operations[K]>): Promise<Awaited<ReturnType<Operations[K]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, operation, args });
    });
  }

  /** Resolves with the first bus event (already received or future) that matches. */
  nextBusEvent(match: (event: BusEvent) => boolean, timeoutMs = 5000): Promise<BusEvent> {
    const seen = this.busEvents.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching bus event')), timeoutMs);
      this.eventWaiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exit;
    clearTimeout(timer);
  }

  private onMessage(message: Message): void {
    if (message.type === 'result') {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error) waiter.reject(new ClientError(message.error));
      else waiter.resolve(message.value);
    } else if (message.type === 'bus-event') {
      this.busEvents.push(message.event);
      for (let i = this.eventWaiters.length - 1; i >= 0; i--) {
        const waiter = this.eventWaiters[i]!;
        if (waiter.match(message.event)) {
          this.eventWaiters.splice(i, 1);
          waiter.resolve(message.event);
        }
      }
    }
  }
}
