// The whole bridge: window.programmer, built from the contract's method list, plus onEvent and
// grantFile (a dropped File's path, derived here and turned into a token by main). Runs sandboxed,
// so the bundle may require only 'electron'. Nothing generic is exposed (no invoke(channel), no
// ipcRenderer, no process, no path).

import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { channelFor, EVENT_CHANNEL, GRANT_FILE_CHANNEL, methodNames } from '../../core/contract/programmer.js';
import type { FileGrant, ProgrammerBridge, ProgrammerEvent, Remote, Programmer, Result } from '../../core/contract/programmer.js';

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
  hasNativeDialogs: true,
  async grantFile(file) {
    // The page hands over a File object, never a path: the path comes from Electron, for a File
    // the user dropped or picked. getPathForFile throws for anything that is not a File and is
    // empty for a File built in script; both get no token.
    let path: string;
    try {
      path = webUtils.getPathForFile(file as File);
    } catch {
      return undefined;
    }
    if (!path) return undefined;
    const result = (await ipcRenderer.invoke(GRANT_FILE_CHANNEL, path)) as Result<FileGrant>;
    return result.ok ? result.value : undefined;
  },
};

contextBridge.exposeInMainWorld('programmer', bridge);
