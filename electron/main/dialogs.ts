// The Host's dialogs over Electron's native ones. Main opens them and reads or writes the chosen
// files itself; the renderer only ever sees the resulting summaries.

import { dialog } from 'electron';
import type { BrowserWindow } from 'electron';
import type { Dialogs } from './host.js';

/** Every extension the readers know; the extension names the format the content must hold (core/image/firmwareFile.ts). */
export const FIRMWARE_EXTENSIONS = ['hex', 'ihex', 'ihx', 'bin', 'dfu', 'srec', 's19', 's28', 's37', 'mot', 'elf', 'axf', 'out'];

export function createElectronDialogs(window: () => BrowserWindow | undefined): Dialogs {
  return {
    async openFirmware() {
      const options = {
        title: 'Open firmware',
        properties: ['openFile' as const],
        filters: [
          { name: 'Firmware', extensions: FIRMWARE_EXTENSIONS },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const parent = window();
      const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return result.canceled ? undefined : result.filePaths[0];
    },
    async saveFile({ title, defaultName, filters }) {
      const options = { title, defaultPath: defaultName, filters: filters.map((filter) => ({ name: filter.name, extensions: [...filter.extensions] })) };
      const parent = window();
      const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
      return result.canceled ? undefined : result.filePath;
    },
  };
}
