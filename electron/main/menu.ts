// The application menu: File > Open (Ctrl/Cmd+O), recent files, export log; the usual Edit and
// View roles. Rebuilt when the recent files change.

import { Menu } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openFirmware(): void;
  openRecent(path: string): void;
  reloadFirmware(): void;
  exportLog(): void;
  openLogFolder(): void;
  showDriverHelp(): void;
}

export function buildMenuTemplate(options: {
  readonly recentFiles: readonly string[];
  readonly isMac: boolean;
  readonly isDevelopment: boolean;
  readonly actions: MenuActions;
}): MenuItemConstructorOptions[] {
  const { actions } = options;
  const recent: MenuItemConstructorOptions[] =
    options.recentFiles.length > 0
      ? options.recentFiles.map((path) => ({ label: path, click: () => actions.openRecent(path) }))
      : [{ label: 'No recent files', enabled: false }];
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Firmware…', accelerator: 'CmdOrCtrl+O', click: () => actions.openFirmware() },
      { label: 'Open Recent', submenu: recent },
      { label: 'Reload Firmware', accelerator: 'CmdOrCtrl+R', click: () => actions.reloadFirmware() },
      { type: 'separator' },
      { label: 'Export Log…', click: () => actions.exportLog() },
      { label: 'Show Log Folder', click: () => actions.openLogFolder() },
      { type: 'separator' },
      options.isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(options.isDevelopment ? [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }] : []),
    ],
  };
  const help: MenuItemConstructorOptions = {
    label: 'Help',
    submenu: [{ label: 'USB Access and Drivers', click: () => actions.showDriverHelp() }],
  };
  return [...(options.isMac ? [{ role: 'appMenu' as const }] : []), file, { role: 'editMenu' }, view, help];
}

export function installMenu(template: MenuItemConstructorOptions[]): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
