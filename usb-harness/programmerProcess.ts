// Parent side of programmerClient.ts: starts the app's ProgrammerService in a libusb client process
// of the virtual bus and calls the contract the way the renderer does (Remote<Programmer>: each
// call resolves with a Result). Pushed events are collected, and a test can wait for the snapshot
// it expects (hotplug reaching the device list, a job's result).
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { methodNames, type Programmer, type ProgrammerEvent, type ProgrammerMethod, type Remote, type SessionSnapshot } from '../core/contract/programmer.js';
import type { ProgrammerCall, ProgrammerClientMessage } from './programmerClient.js';
import type { VirtualUsbHost } from './virtualUsbHost.js';

const clientScript = join(dirname(fileURLToPath(import.meta.url)), 'programmerClient.ts');

type SessionEvent = Extract<ProgrammerEvent, { type: 'session' }>;

export class ProgrammerClient {
  readonly events: ProgrammerEvent[] = [];
  /** Internal errors the service reported (its reportBug); a healthy run has none. */
  readonly bugs: string[] = [];
  /** The contract as the window sees it. */
  readonly programmer: Remote<Programmer>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly sessionWaiters: { match: (session: SessionSnapshot) => boolean; resolve: (session: SessionSnapshot) => void }[] = [];
  private readonly exit: Promise<number | null>;
  private nextId = 1;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (message: ProgrammerClientMessage) => this.onMessage(message));
    child.once('exit', (code) => {
      for (const resolve of this.pending.values()) resolve({ ok: false, error: { kind: 'internal', message: `programmer client exited (code ${code})` } });
      this.pending.clear();
    });
    const call = (method: ProgrammerMethod) => (...args: unknown[]) =>
      new Promise((resolve) => {
        const id = this.nextId++;
        this.pending.set(id, resolve);
        const message: ProgrammerCall = { id, method, args };
        this.child.send(message);
      });
    this.programmer = Object.fromEntries(methodNames.map((method) => [method, call(method)])) as unknown as Remote<Programmer>;
  }

  static async start(host: VirtualUsbHost): Promise<ProgrammerClient> {
    const child = fork(clientScript, [], {
      execArgv: ['--import', 'tsx'],
      env: host.clientEnv(),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const client = new ProgrammerClient(child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`programmer client exited during start-up (code ${code})`)));
      child.on('message', (message: ProgrammerClientMessage) => {
        if (message.type === 'ready') resolve();
      });
    });
    return client;
  }

  /** The newest snapshot pushed so far. */
  get lastSession(): SessionSnapshot | undefined {
    const sessions = this.events.filter((event): event is SessionEvent => event.type === 'session');
    return sessions[sessions.length - 1]?.session;
  }

  /**
   * Resolves with the first pushed snapshot from now on that matches (or the newest one already
   * received, if it matches): how the window learns about hotplug and job results.
   */
  nextSession(match: (session: SessionSnapshot) => boolean, timeoutMs = 10_000): Promise<SessionSnapshot> {
    const last = this.lastSession;
    if (last && match(last)) return Promise.resolve(last);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching session snapshot in ${timeoutMs} ms; last: ${JSON.stringify(this.lastSession?.devices)}`)), timeoutMs);
      this.sessionWaiters.push({
        match,
        resolve: (session) => {
          clearTimeout(timer);
          resolve(session);
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

  private onMessage(message: ProgrammerClientMessage): void {
    switch (message.type) {
      case 'result': {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        resolve?.(message.result);
        return;
      }
      case 'event': {
        this.events.push(message.event);
        if (message.event.type !== 'session') return;
        const session = message.event.session;
        for (let i = this.sessionWaiters.length - 1; i >= 0; i--) {
          const waiter = this.sessionWaiters[i]!;
          if (waiter.match(session)) {
            this.sessionWaiters.splice(i, 1);
            waiter.resolve(session);
          }
        }
        return;
      }
      case 'bug':
        this.bugs.push(message.message);
        return;
      case 'ready':
        return;
    }
  }
}
