import { driverHelp } from './driverHelp.js';

describe('driverHelp', () => {
  it('names the udev rule file on Linux', () => {
    expect(driverHelp('linux', '/opt/DFU Desk/resources/udev/50-dfu-desk.rules').detail).toContain(
      'sudo cp "/opt/DFU Desk/resources/udev/50-dfu-desk.rules" /etc/udev/rules.d/',
    );
  });

  it('points Windows users to WinUSB through Zadig', () => {
    const help = driverHelp('win32', '');
    expect(help.message).toMatch(/WinUSB/);
    expect(help.detail).toMatch(/Zadig/);
  });

  it('asks for nothing on macOS', () => {
    expect(driverHelp('darwin', '').message).toMatch(/No driver/);
  });
});
