// The whole bridge: window.programmer, built from the contract's method list. Runs sandboxed, so
// the bundle may require only 'electron'. Nothing generic is exposed (no invoke(channel), no
// ipcRenderer, no process).

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { channelFor, EVENT_CHANNEL, methodNames } from '../../core/contract/programmer.js';
import type { ProgrammerBridge, ProgrammerEvent, Remote, Programmer } from '../../core/contract/programmer.js';

const remote = Object.fromEntries(
  methodNames.map((method) => [method, (...args: unknown[]) => ipcRenderer.invoke(channelFor(method), ...args)]),
) as Remote<Programmer>;

const bridge: ProgrammerBridge = {
  ...remote,
  onEvent(listener) {
    const forward = (_event: unknown, payload: ProgrammerEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, forward);
  },
  pathForFile(file) {
    // Throws for anything that is not a File; empty for a File that did not come from disk.
    try {
      return webUtils.getPathForFile(file as File) || undefined;
    } catch {
      return undefined;
    }
  },
};

contextBridge.exposeInMainWorld('programmer', bridge);
