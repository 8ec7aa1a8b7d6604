import type { MenuItemConstructorOptions } from 'electron';
import {
  dfuBootloaderIds,
  linuxCommands,
  USB_HELP_MENU_PATH,
  usbAccessHelp,
  windowsDeviceLabel,
} from '../../core/devices/usbAccess.js';
import { driverHelp } from './driverHelp.js';
import { buildMenuTemplate } from './menu.js';

// menu.ts imports Menu from electron only to install the template; building it needs nothing from there.
vi.mock('electron', () => ({ Menu: {} }));

const packagedRule = '/opt/DFU Desk/resources/udev/50-dfu-desk.rules';

describe('driverHelp', () => {
  it('copies the rules file the app carries on Linux, then reloads the rules', () => {
    const help = driverHelp('linux', packagedRule);
    expect(help.detail.split('\n').slice(0, 2)).toEqual([
      "  sudo cp '/opt/DFU Desk/resources/udev/50-dfu-desk.rules' /etc/udev/rules.d/",
      '  sudo udevadm control --reload-rules',
    ]);
    expect(help.detail).toMatch(/unplug and replug/);
    expect(help.message).toContain('ST (0483:df11), GD32 (28e9:0189) and AT32 (2e3c:df11)');
  });

  it('points Windows users to WinUSB through Zadig, naming every bootloader', () => {
    const help = driverHelp('win32', packagedRule);
    expect(help.message).toMatch(/WinUSB/);
    expect(help.detail).toMatch(/Zadig/);
    for (const id of dfuBootloaderIds) expect(help.detail).toContain(windowsDeviceLabel(id));
  });

  it('asks for no driver on macOS', () => {
    expect(driverHelp('darwin', packagedRule).message).toMatch(/needs no driver/);
  });

  it('renders the one source: title, summary, then the commands indented and the steps', () => {
    for (const platform of ['linux', 'win32', 'darwin', 'freebsd']) {
      const source = usbAccessHelp(platform, { file: packagedRule });
      expect(driverHelp(platform, packagedRule)).toEqual({
        title: source.title,
        message: source.summary,
        detail: [...source.commands.map((command) => `  ${command}`), ...source.steps].join('\n'),
      });
    }
    expect(linuxCommands({ file: packagedRule })[0]).toContain(packagedRule);
  });
});

describe('the Help menu item the texts point to', () => {
  it('is where USB_HELP_MENU_PATH says, and opens the driver help', () => {
    const showDriverHelp = vi.fn();
    const noop = () => undefined;
    const template = buildMenuTemplate({
      recentFiles: [],
      isMac: false,
      isDevelopment: false,
      actions: {
        openFirmware: noop,
        openRecent: noop,
        reloadFirmware: noop,
        exportLog: noop,
        openLogFolder: noop,
        showDriverHelp,
      },
    });
    const [menuLabel, itemLabel] = USB_HELP_MENU_PATH.split(' > ');
    const menu = template.find((entry) => entry.label === menuLabel);
    const item = (menu?.submenu as MenuItemConstructorOptions[] | undefined)?.find(
      (entry) => entry.label === itemLabel,
    );
    expect(item, `no "${USB_HELP_MENU_PATH}" in the menu`).toBeDefined();
    (item!.click as () => void)();
    expect(showDriverHelp).toHaveBeenCalledOnce();
  });
});
