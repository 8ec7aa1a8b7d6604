// Wires the handlers of ipcHandlers.ts to ipcMain and pushes service events to the window. Types
// only from 'electron': the composition root passes the objects in.

import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNEL } from '../../core/contract/programmer.js';
import type { FileGrant, Programmer, ProgrammerEvent, ProgrammerMethod } from '../../core/contract/programmer.js';
import { createIpcHandlers, isTrustedFrame } from './ipcHandlers.js';
import { APP_ORIGIN } from './window.js';

export interface EventSource {
  onEvent(listener: (event: ProgrammerEvent) => void): () => void;
}

/** Registers every contract method; returns the function that removes them again. */
export function registerIpc(
  ipcMain: IpcMain,
  service: Programmer & EventSource & { grantFile(path: string): FileGrant },
  window: BrowserWindow,
  onInternalError: (method: ProgrammerMethod, error: unknown) => void,
): () => void {
  const handlers = createIpcHandlers<IpcMainInvokeEvent>(service, {
    isTrustedSender: (event) => !window.isDestroyed() && isTrustedFrame(event.senderFrame, window.webContents.mainFrame, APP_ORIGIN),
    onInternalError,
    grantFile: (path) => service.grantFile(path),
  });
  for (const [channel, handler] of handlers) ipcMain.handle(channel, handler);
  const unsubscribe = service.onEvent((event) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event);
  });
  return () => {
    unsubscribe();
    for (const channel of handlers.keys()) ipcMain.removeHandler(channel);
  };
}
