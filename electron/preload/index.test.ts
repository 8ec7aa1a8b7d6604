// The built preload bundle, run the way a sandboxed Electron preload runs: a fresh context whose
// `require` knows only 'electron'. The Electron runtime cannot run here, so this is the guard
// against a bundle that would fail only inside Electron (a stray Node import, a missing module).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { channelFor, EVENT_CHANNEL, GRANT_FILE_CHANNEL, methodNames } from '../../core/contract/programmer.js';

const root = path.resolve(import.meta.dirname, '../..');

interface FakeElectron {
  exposed: Map<string, unknown>;
  invocations: { channel: string; args: unknown[] }[];
  listeners: Map<string, ((event: unknown, payload: unknown) => void)[]>;
  required: string[];
}

function loadPreload(bundle: string): FakeElectron {
  const fake: FakeElectron = { exposed: new Map(), invocations: [], listeners: new Map(), required: [] };
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        fake.exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke(channel: string, ...args: unknown[]) {
        fake.invocations.push({ channel, args });
        if (channel === GRANT_FILE_CHANNEL) return Promise.resolve({ ok: true, value: { token: 'a'.repeat(32), path: args[0], fileName: 'x' } });
        return Promise.resolve({ ok: true, value: channel });
      },
      on(channel: string, listener: (event: unknown, payload: unknown) => void) {
        fake.listeners.set(channel, [...(fake.listeners.get(channel) ?? []), listener]);
      },
      removeListener(channel: string, listener: (event: unknown, payload: unknown) => void) {
        fake.listeners.set(
          channel,
          (fake.listeners.get(channel) ?? []).filter((candidate) => candidate !== listener),
        );
      },
    },
    webUtils: {
      getPathForFile(file: { path?: string }) {
        if (typeof file !== 'object' || file === null) throw new TypeError('not a File');
        return file.path ?? '';
      },
    },
  };
  const module = { exports: {} };
  const sandboxRequire = (name: string) => {
    fake.required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name} (a sandboxed preload can only require 'electron')`);
  };
  // Only what a sandboxed preload sees as globals that matter here; no process, no Buffer.
  const context = vm.createContext({ require: sandboxRequire, module, exports: module.exports });
  vm.runInContext(bundle, context, { filename: 'preload.cjs' });
  return fake;
}

describe('preload bundle', () => {
  let bundle: string;
  beforeAll(() => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dfu-desk-preload-'));
    try {
      execFileSync(process.execPath, ['scripts/build.mjs', '--only', 'preload', '--outdir', outdir], { cwd: root, stdio: 'pipe' });
      bundle = readFileSync(path.join(outdir, 'electron/preload.cjs'), 'utf8');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('requires nothing but electron', () => {
    const fake = loadPreload(bundle);
    expect(new Set(fake.required)).toEqual(new Set(['electron']));
  });

  it('exposes exactly window.programmer with the contract methods, onEvent, grantFile and hasNativeDialogs', () => {
    const fake = loadPreload(bundle);
    expect([...fake.exposed.keys()]).toEqual(['programmer']);
    const bridge = fake.exposed.get('programmer') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual([...methodNames, 'onEvent', 'grantFile', 'hasNativeDialogs'].sort());
    expect(bridge.hasNativeDialogs).toBe(true);
    for (const key of Object.keys(bridge).filter((name) => name !== 'hasNativeDialogs')) expect(typeof bridge[key]).toBe('function');
  });

  it('sends each method on its derived channel with the arguments unchanged', async () => {
    const fake = loadPreload(bundle);
    const bridge = fake.exposed.get('programmer') as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const method of methodNames) {
      await expect(bridge[method]!('argument', 2)).resolves.toEqual({ ok: true, value: channelFor(method) });
    }
    expect(fake.invocations.map((call) => call.channel)).toEqual(methodNames.map(channelFor));
    expect(fake.invocations.every((call) => call.args.length === 2 && call.args[0] === 'argument')).toBe(true);
  });

  it('delivers events without the IPC event object and unsubscribes', () => {
    const fake = loadPreload(bundle);
    const bridge = fake.exposed.get('programmer') as { onEvent(listener: (event: unknown) => void): () => void };
    const received: unknown[] = [];
    const unsubscribe = bridge.onEvent((event) => received.push(event));
    const [forward] = fake.listeners.get(EVENT_CHANNEL) ?? [];
    forward!({ sender: 'ipc internals' }, { type: 'log' });
    expect(received).toEqual([{ type: 'log' }]);
    unsubscribe();
    expect(fake.listeners.get(EVENT_CHANNEL)).toEqual([]);
  });

  it('turns a dropped File into a token from main, and anything else into nothing', async () => {
    const fake = loadPreload(bundle);
    const bridge = fake.exposed.get('programmer') as { grantFile(file: unknown): Promise<unknown> };
    await expect(bridge.grantFile({ path: '/home/me/blinky.hex' })).resolves.toEqual({ token: 'a'.repeat(32), path: '/home/me/blinky.hex', fileName: 'x' });
    expect(fake.invocations).toEqual([{ channel: GRANT_FILE_CHANNEL, args: ['/home/me/blinky.hex'] }]);
    // A File built in script has no path; a string is not a File: neither reaches main.
    await expect(bridge.grantFile({ path: '' })).resolves.toBeUndefined();
    await expect(bridge.grantFile('/etc/passwd')).resolves.toBeUndefined();
    expect(fake.invocations).toHaveLength(1);
  });
});
