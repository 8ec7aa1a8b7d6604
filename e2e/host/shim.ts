// Browser side of the test host: builds window.programmer from the contract's method list (the
// same list the Electron preload loops over), so the page sees exactly the bridge it gets in the
// app — one contract, no second definition. Loaded as a classic script before the renderer.
import { methodNames, type ProgrammerBridge, type ProgrammerEvent, type Result } from '../../core/contract/programmer.js';
import { decodeMessage, encodeMessage, type ServerMessage } from './wire.js';

// The host put this launch's key in the page (e2e/host/server.ts); without it the socket is refused.
const key = document.querySelector('meta[name="dfu-desk-host-key"]')?.getAttribute('content') ?? '';
const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/__host/ws?key=${encodeURIComponent(key)}`);
const pending = new Map<number, (result: Result<unknown>) => void>();
const listeners = new Set<(event: ProgrammerEvent) => void>();
const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
let nextId = 1;

socket.addEventListener('message', (message: MessageEvent<string>) => {
  const data = decodeMessage(message.data) as ServerMessage;
  if ('event' in data) {
    for (const listener of listeners) listener(data.event as ProgrammerEvent);
    return;
  }
  pending.get(data.id)?.(data.result as Result<unknown>);
  pending.delete(data.id);
});

socket.addEventListener('close', () => {
  for (const resolve of pending.values()) resolve({ ok: false, error: { kind: 'internal', message: 'test host connection closed' } });
  pending.clear();
});

async function call(method: string, args: unknown[]): Promise<Result<unknown>> {
  await opened;
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    socket.send(encodeMessage({ id, method, args }));
  });
}

const bridge: Record<string, unknown> = {
  onEvent(listener: (event: ProgrammerEvent) => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  // A plain browser has no file paths: dropped files travel as bytes.
  grantFile: () => Promise.resolve(undefined),
  // "Open file…" uses the page's own file input here: the host has no dialog to show.
  hasNativeDialogs: false,
};
for (const method of methodNames) bridge[method] = (...args: unknown[]) => call(method, args);

const programmer = Object.freeze(bridge) as unknown as ProgrammerBridge;
Object.defineProperty(window, 'programmer', { value: programmer, enumerable: true });
