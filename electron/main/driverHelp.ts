// What to do when the OS will not let DFU Desk open the bootloader: the udev rule on Linux, the
// WinUSB driver on Windows (ST's DfuSe driver is not WinUSB, so libusb cannot use it), nothing on
// macOS. Shown from Help > USB Access and Drivers.

export interface DriverHelp {
  readonly title: string;
  readonly message: string;
  readonly detail: string;
}

export function driverHelp(platform: string, udevRulePath: string): DriverHelp {
  if (platform === 'linux') {
    return {
      title: 'USB access on Linux',
      message: 'Install the udev rule so your user may open DFU bootloaders.',
      detail: [
        'The .deb package installs it for you. For the AppImage, run:',
        `  sudo cp "${udevRulePath}" /etc/udev/rules.d/`,
        '  sudo udevadm control --reload-rules',
        'then unplug and replug the board (with BOOT0 high).',
      ].join('\n'),
    };
  }
  if (platform === 'win32') {
    return {
      title: 'USB driver on Windows',
      message: 'The bootloader needs the WinUSB driver.',
      detail: [
        "Windows binds ST's DfuSe driver (or none) to the STM32 bootloader, and DFU Desk talks to USB through WinUSB.",
        'With the board in DFU mode, run Zadig (https://zadig.akeo.ie), choose "STM32 BOOTLOADER" (0483:DF11),',
        'select WinUSB and press "Replace Driver". STM32CubeProgrammer still works afterwards.',
      ].join('\n'),
    };
  }
  return {
    title: 'USB access',
    message: 'No driver or permission is needed on this system.',
    detail: 'If the board does not appear, check that BOOT0 is high during reset and that the cable carries data.',
  };
}
