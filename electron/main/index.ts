// Composition root of the desktop app: single-instance lock, the app:// scheme, the hardened
// window, USB (real when the usb binary loads, simulated always), the Programmer service, IPC and
// the menu. Everything with decisions in it lives in the modules it wires.
//
// Environment: DFU_SIMULATOR=<profile>[:scenario][,<profile>...] creates simulated boards (the
// first is connected at start), as the e2e specs and demos use it. DFU_DESK_LOG_LEVEL=debug also
// writes debug lines to the log files (read by createNodeHost; docs/electron.md, "Log files").

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell } from 'electron';
import { SimulatorBus } from '../../core/simulator/bus.js';
import type { UsbBus } from '../../core/usb/transport.js';
import { resolveAppFile } from './appProtocol.js';
import { createElectronDialogs } from './dialogs.js';
import { driverHelp } from './driverHelp.js';
import { registerIpc } from './ipc.js';
import { buildMenuTemplate, installMenu } from './menu.js';
import { createNodeHost } from './nodeHost.js';
import { ProgrammerService } from './programmer.js';
import { realClock } from '../../node/realClock.js';
import { APP_ENTRY_URL, APP_SCHEME, buildWindowOptions, hardenSession, hardenWebContents, securityHeaders } from './window.js';

const isDevelopment = !app.isPackaged;
// dist/electron/main.cjs -> dist/renderer and dist/electron/preload.cjs.
const rendererDirectory = path.join(__dirname, '..', 'renderer');
const preloadPath = path.join(__dirname, 'preload.cjs');

// One user-data folder in development and packaged builds (package.json's name is "dfu-desk").
app.setName('DFU Desk');
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  main().catch((error: unknown) => {
    dialog.showErrorBox('DFU Desk could not start', error instanceof Error ? (error.stack ?? error.message) : String(error));
    app.exit(1);
  });
}

/** The real USB bus, or why there is none (the usb binary failed to load: the app still runs on simulated devices). */
async function loadHardwareBus(): Promise<{ bus?: UsbBus; reason?: string }> {
  try {
    const { NodeUsbBus } = await import('../../node/nodeUsb.js');
    return { bus: new NodeUsbBus() };
  } catch (error) {
    return { reason: `the usb module could not be loaded (${error instanceof Error ? error.message : String(error)})` };
  }
}

async function main(): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(request.url, rendererDirectory);
    if (!file) return new Response('Not found', { status: 404, headers: securityHeaders() });
    try {
      const body = await readFile(file.filePath);
      return new Response(body, { headers: { 'Content-Type': file.contentType, ...securityHeaders() } });
    } catch {
      return new Response('Not found', { status: 404, headers: securityHeaders() });
    }
  });

  // The dialogs need the window, which is created after the service: reach it through a box.
  const windowBox: { current?: BrowserWindow } = {};
  const host = createNodeHost({
    userDataDirectory: app.getPath('userData'),
    appVersion: app.getVersion(),
    clock: realClock,
    dialogs: createElectronDialogs(() => windowBox.current),
    reportBug: (error) => console.error('DFU Desk internal error:', error),
  });
  const hardware = await loadHardwareBus();
  const specs = (process.env.DFU_SIMULATOR ?? '').split(',').map((spec) => spec.trim()).filter(Boolean);
  const simulatorBus = new SimulatorBus(realClock);
  const service = await ProgrammerService.create({
    host,
    simulatorBus,
    ...(hardware.bus ? { hardwareBus: hardware.bus } : {}),
    ...(hardware.reason ? { hardwareUnavailableReason: hardware.reason } : {}),
    ...(specs[0] !== undefined ? { simulatorSpec: specs[0] } : {}),
  });
  for (const spec of specs.slice(1)) simulatorBus.addSpec(spec);

  const mainWindow = new BrowserWindow(buildWindowOptions({ preloadPath, isDevelopment }));
  windowBox.current = mainWindow;
  const unregister = registerIpc(ipcMain, service, mainWindow, (method, error) => console.error(`DFU Desk internal error in ${method}:`, error));
  mainWindow.once('ready-to-show', () => mainWindow.show());

  // Closing while a device is being written leaves it half-programmed: ask first.
  let isQuitConfirmed = false;
  const confirmQuit = (): boolean => {
    if (isQuitConfirmed || !service.isWriting()) return true;
    const choice = dialog.showMessageBoxSync(mainWindow, {
      type: 'warning',
      buttons: ['Keep Flashing', 'Stop and Quit'],
      defaultId: 0,
      cancelId: 0,
      message: 'A device is being written.',
      detail: 'Quitting now stops the write at the next safe point. The board stays in DFU mode and can be flashed again, but its firmware will be incomplete until then.',
    });
    if (choice === 0) return false;
    isQuitConfirmed = true;
    void service.cancel();
    return true;
  };
  mainWindow.on('close', (event) => {
    if (!confirmQuit()) event.preventDefault();
  });
  app.on('before-quit', (event) => {
    if (!confirmQuit()) event.preventDefault();
  });
  app.on('second-instance', () => {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    unregister();
    void service.dispose().finally(() => app.quit());
  });

  const reportMenuError = (action: string) => (error: unknown) => {
    dialog.showErrorBox(`${action} failed`, error instanceof Error ? error.message : String(error));
  };
  const udevRule = path.join(process.resourcesPath, 'udev', '50-dfu-desk.rules');
  let menuRecentFiles: readonly string[] | undefined;
  const refreshMenu = (recentFiles: readonly string[]) => {
    if (menuRecentFiles && menuRecentFiles.join('\n') === recentFiles.join('\n')) return;
    menuRecentFiles = recentFiles;
    installMenu(
      buildMenuTemplate({
        recentFiles,
        isMac: process.platform === 'darwin',
        isDevelopment,
        actions: {
          openFirmware: () => void service.openImage({ kind: 'dialog' }).catch(reportMenuError('Opening the firmware')),
          openRecent: (file) => void service.openImage({ kind: 'file', token: service.grantFile(file).token }).catch(reportMenuError('Opening the firmware')),
          reloadFirmware: () => void service.reloadImage().catch(reportMenuError('Reloading the firmware')),
          exportLog: () => void service.exportLog().catch(reportMenuError('Exporting the log')),
          openLogFolder: () => void shell.openPath(path.join(app.getPath('userData'), 'logs')),
          showDriverHelp: () => {
            const help = driverHelp(process.platform, udevRule);
            void dialog.showMessageBox(mainWindow, { type: 'info', title: help.title, message: help.message, detail: help.detail });
          },
        },
      }),
    );
  };
  const snapshot = await service.getSnapshot();
  refreshMenu(snapshot.settings.recentFiles);
  service.onEvent((event) => {
    if (event.type === 'session') refreshMenu(event.session.settings.recentFiles);
  });

  await mainWindow.loadURL(APP_ENTRY_URL);
}
