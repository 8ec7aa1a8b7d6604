// Who may open a DfuSe bootloader, and how to let them: the USB ids DFU Desk knows, as data, and
// the per-platform fix rendered from them. The one source for build/linux/50-dfu-desk.rules
// (generated: `node scripts/udev-rule.mjs`), the CLI's access-denied hint (cli/errorText.ts), the
// app's Help > USB Access and Drivers (electron/main/driverHelp.ts) and README "USB access
// (drivers)"; tests compare the committed files with what this module renders.
import { formatUsbId } from '../format.js';

export interface DfuBootloaderId {
  readonly vendorId: number;
  readonly productId: number;
  /** Short name for lists: "ST", "GD32". */
  readonly name: string;
  /** Vendor and device, for the rules file: "STMicroelectronics STM32 system-memory bootloader". */
  readonly description: string;
  /** Where the id comes from. */
  readonly source: string;
  /** The USB product string, where it is known for certain (Zadig lists devices by it). */
  readonly productString?: string;
}

/** The DfuSe bootloaders DFU Desk opens (node/nodeUsb.ts filters on the same ids). */
export const dfuBootloaderIds: readonly DfuBootloaderId[] = [
  {
    vendorId: 0x0483,
    productId: 0xdf11,
    name: 'ST',
    description: 'STMicroelectronics STM32 system-memory bootloader',
    source: 'DfuSe, AN3156',
    productString: 'STM32 BOOTLOADER',
  },
  {
    vendorId: 0x28e9,
    productId: 0x0189,
    name: 'GD32',
    description: 'GigaDevice GD32 bootloader',
    source: 'a DfuSe clone; dfu-util quirks.h names it PRODUCT_GD32',
  },
  {
    vendorId: 0x2e3c,
    productId: 0xdf11,
    name: 'AT32',
    description: 'Artery AT32 bootloader',
    source: 'a DfuSe clone; Betaflight Configurator lists it for the AT32F435',
  },
];

export const UDEV_RULES_FILE_NAME = '50-dfu-desk.rules';
/** Where rules installed by hand go; the .deb uses /usr/lib/udev/rules.d/ (build/electron-builder.yml). */
export const UDEV_RULES_DIR = '/etc/udev/rules.d';
export const UDEV_RULES_PATH = `${UDEV_RULES_DIR}/${UDEV_RULES_FILE_NAME}`;
export const UDEV_RELOAD_COMMAND = 'sudo udevadm control --reload-rules';
/** Where the app shows usbAccessHelp() (electron/main/menu.ts; a test keeps the two equal). */
export const USB_HELP_MENU_PATH = 'Help > USB Access and Drivers';
export const ZADIG_URL = 'https://zadig.akeo.ie';

/** "0483:df11", as lsusb and udev write ids. */
export function usbIdLower(id: DfuBootloaderId): string {
  return formatUsbId(id.vendorId, id.productId).toLowerCase();
}

/** One udev rule: "uaccess" lets systemd-logind give the user at the seat access to the device. */
export function udevRuleLine(id: DfuBootloaderId): string {
  const [vendor, product] = usbIdLower(id).split(':');
  return `SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="${vendor}", ATTR{idProduct}=="${product}", TAG+="uaccess"`;
}

/** The text of build/linux/50-dfu-desk.rules. */
export function udevRulesFile(ids: readonly DfuBootloaderId[] = dfuBootloaderIds): string {
  const header = [
    '# DFU Desk: lets the user at the seat open USB DFU bootloaders without root. systemd-logind grants',
    '# access to devices tagged "uaccess" (the rule must sort before 73-seat-late.rules, hence "50-").',
    '# Installed by the .deb to /usr/lib/udev/rules.d/; AppImage users copy it to',
    `# ${UDEV_RULES_DIR}/ by hand (README, "USB access (drivers)"). Takes effect on the next plug-in.`,
    '#',
    '# Generated from core/devices/usbAccess.ts by `node scripts/udev-rule.mjs`: edit the list there.',
  ];
  const rules = ids.flatMap((id) => ['', `# ${id.description} (${id.source})`, udevRuleLine(id)]);
  return `${[...header, ...rules].join('\n')}\n`;
}

/** How Zadig shows a device: '"STM32 BOOTLOADER" (0483:DF11)', or 'GD32 (28E9:0189)' where the product string is not known. */
export function windowsDeviceLabel(id: DfuBootloaderId): string {
  const usbId = formatUsbId(id.vendorId, id.productId);
  return id.productString ? `"${id.productString}" (${usbId})` : `${id.name} (${usbId})`;
}

/** "a, b and c", "a, b or c" */
function listOf(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** A path as one shell word: as is when it is plain, else in single quotes. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The fix for 'access-denied' on one system: what is wrong, the shell commands to run, the rest of the steps. */
export interface UsbAccessHelp {
  readonly title: string;
  readonly summary: string;
  /** Shell commands, one line each (a line ending in "\" continues on the next), run in order. */
  readonly commands: readonly string[];
  /** What to do after the commands (or instead of them), in order, and notes. */
  readonly steps: readonly string[];
}

/**
 * Where the Linux rules come from: a copy of the rules file on disk (the app's resources/udev/, the
 * repository's build/linux/), or written inline (the CLI, which cannot know where a file is).
 */
export type UdevRuleSource = { readonly file: string } | 'inline';

export function linuxCommands(source: UdevRuleSource, ids: readonly DfuBootloaderId[] = dfuBootloaderIds): string[] {
  if (source !== 'inline') return [`sudo cp ${shellWord(source.file)} ${UDEV_RULES_DIR}/`, UDEV_RELOAD_COMMAND];
  const rules = ids.map(udevRuleLine);
  return [
    "printf '%s\\n' \\",
    ...rules.map(
      (rule, index) => `  ${shellWord(rule)}${index < rules.length - 1 ? ' \\' : ` | sudo tee ${UDEV_RULES_PATH}`}`,
    ),
    UDEV_RELOAD_COMMAND,
  ];
}

export function linuxAccessHelp(
  source: UdevRuleSource,
  ids: readonly DfuBootloaderId[] = dfuBootloaderIds,
): UsbAccessHelp {
  return {
    title: 'USB access on Linux',
    summary: `Install the udev rule ${UDEV_RULES_FILE_NAME} so your user may open the ${listOf(
      ids.map((id) => `${id.name} (${usbIdLower(id)})`),
      'and',
    )} DFU bootloaders:`,
    commands: linuxCommands(source, ids),
    steps: [
      'then unplug and replug the board (with BOOT0 high).',
      `The DFU Desk .deb installs this rule for you; the AppImage carries it in resources/udev/${UDEV_RULES_FILE_NAME}.`,
    ],
  };
}

export function windowsAccessHelp(ids: readonly DfuBootloaderId[] = dfuBootloaderIds): UsbAccessHelp {
  return {
    title: 'USB driver on Windows',
    summary:
      "The DFU bootloader needs the WinUSB driver: DFU Desk reaches USB through WinUSB, and Windows binds another driver (such as ST's DfuSe driver) or none to the bootloader.",
    commands: [],
    steps: [
      `With the board in DFU mode, run Zadig (${ZADIG_URL}) and choose the bootloader: ${listOf(ids.map(windowsDeviceLabel), 'or')}.`,
      'If it is not listed, tick Options > List All Devices.',
      'Select WinUSB and press "Replace Driver", then unplug and replug the board.',
      'Close STM32CubeProgrammer or DfuSe Demo first if they hold the device.',
    ],
  };
}

export function macosAccessHelp(): UsbAccessHelp {
  return {
    title: 'USB access on macOS',
    summary: 'macOS needs no driver or permission for the DFU bootloader.',
    commands: [],
    steps: [
      'If the device cannot be opened, another program holds it (STM32CubeProgrammer, dfu-util, a second DFU Desk): close it and replug the board.',
      'If the board does not appear, check that BOOT0 is high during reset and that the cable carries data.',
    ],
  };
}

/** The fix for 'access-denied' on `platform` (Node's process.platform names). */
export function usbAccessHelp(platform: string, linuxRules: UdevRuleSource): UsbAccessHelp {
  switch (platform) {
    case 'linux':
      return linuxAccessHelp(linuxRules);
    case 'win32':
      return windowsAccessHelp();
    case 'darwin':
      return macosAccessHelp();
    default:
      return {
        title: 'USB access',
        summary: 'Check that your user may open USB devices and that no other program holds the board.',
        commands: [],
        steps: ['Then unplug and replug the board.'],
      };
  }
}

/** Help as plain lines: the summary, the commands indented by `indent`, then the steps. */
export function usbAccessLines(help: UsbAccessHelp, indent = '  '): string[] {
  return [help.summary, ...help.commands.map((command) => `${indent}${command}`), ...help.steps];
}
