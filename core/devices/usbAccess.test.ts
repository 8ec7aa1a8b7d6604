import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  dfuBootloaderIds,
  linuxAccessHelp,
  linuxCommands,
  macosAccessHelp,
  shellWord,
  UDEV_RELOAD_COMMAND,
  UDEV_RULES_PATH,
  udevRuleLine,
  udevRulesFile,
  usbAccessHelp,
  usbAccessLines,
  usbIdLower,
  windowsAccessHelp,
  windowsDeviceLabel,
  type DfuBootloaderId,
} from './usbAccess.js';

const repoFile = (relative: string) => readFileSync(new URL(`../../${relative}`, import.meta.url), 'utf8');
const [st, gd32, at32] = dfuBootloaderIds as [DfuBootloaderId, DfuBootloaderId, DfuBootloaderId];

/** What `sh` prints for a script: the way to prove a rendered command does what it says. */
function shell(script: string): string {
  const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return result.stdout;
}

/** The section of a Markdown file under `heading`, up to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, `"${heading}" not found`).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, end < 0 ? undefined : end);
}

describe('dfuBootloaderIds', () => {
  it('lists the ST, GD32 and AT32 DfuSe bootloaders once each, each with its source', () => {
    expect(dfuBootloaderIds.map(usbIdLower)).toEqual(['0483:df11', '28e9:0189', '2e3c:df11']);
    expect(dfuBootloaderIds.map((id) => id.name)).toEqual(['ST', 'GD32', 'AT32']);
    expect(st.source).toContain('AN3156');
    for (const id of dfuBootloaderIds) expect(id.source.length, id.name).toBeGreaterThan(0);
  });
});

describe('udev rules', () => {
  it('tags one vendor/product pair with uaccess, ids in lower case as udev compares them', () => {
    expect(udevRuleLine(gd32)).toBe(
      'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="28e9", ATTR{idProduct}=="0189", TAG+="uaccess"',
    );
  });

  it('renders a file with a commented rule for every id given, and nothing else', () => {
    const text = udevRulesFile([st, at32]);
    const rules = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(rules).toEqual([udevRuleLine(st), udevRuleLine(at32)]);
    expect(text).toContain(`# ${at32.description} (${at32.source})\n${udevRuleLine(at32)}\n`);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('is the committed build/linux/50-dfu-desk.rules, byte for byte', () => {
    expect(
      repoFile('build/linux/50-dfu-desk.rules'),
      'build/linux/50-dfu-desk.rules is generated from core/devices/usbAccess.ts: run `node scripts/udev-rule.mjs` and commit the result',
    ).toBe(udevRulesFile());
  });
});

describe('shellWord', () => {
  it('leaves plain paths alone and quotes the rest so that sh reads them back unchanged', () => {
    expect(shellWord('build/linux/50-dfu-desk.rules')).toBe('build/linux/50-dfu-desk.rules');
    for (const text of [
      '/opt/DFU Desk/resources/udev/50-dfu-desk.rules',
      "/home/o'brien/$HOME/a b",
      udevRuleLine(st),
    ]) {
      expect(shellWord(text)).not.toBe(text);
      expect(shell(`printf '%s' ${shellWord(text)}`)).toBe(text);
    }
  });
});

describe('Linux', () => {
  it('copies a rules file from disk, then reloads the rules', () => {
    expect(linuxCommands({ file: '/opt/DFU Desk/resources/udev/50-dfu-desk.rules' })).toEqual([
      "sudo cp '/opt/DFU Desk/resources/udev/50-dfu-desk.rules' /etc/udev/rules.d/",
      'sudo udevadm control --reload-rules',
    ]);
  });

  it('writes every rule inline when there is no file, as a command sh runs as printed', () => {
    const commands = linuxCommands('inline');
    expect(commands.at(-1)).toBe(UDEV_RELOAD_COMMAND);
    const write = commands.slice(0, -1).join('\n');
    expect(write).toContain(`| sudo tee ${UDEV_RULES_PATH}`);
    // Run it with the privileged tail cut off: it prints exactly the rule lines of the packaged file.
    const printed = shell(write.replace(`| sudo tee ${UDEV_RULES_PATH}`, ''));
    expect(printed).toBe(dfuBootloaderIds.map((id) => `${udevRuleLine(id)}\n`).join(''));
  });

  it('names the rule file and every id it covers, and says to replug', () => {
    const help = linuxAccessHelp('inline', [st, gd32]);
    expect(help.summary).toContain('50-dfu-desk.rules');
    expect(help.summary).toContain('ST (0483:df11) and GD32 (28e9:0189)');
    expect(help.summary).not.toContain('2e3c');
    expect(help.steps.join(' ')).toMatch(/unplug and replug/);
  });
});

describe('Windows', () => {
  it('labels a device by its product string when known, else by name, with the id as Zadig shows it', () => {
    expect(windowsDeviceLabel(st)).toBe('"STM32 BOOTLOADER" (0483:DF11)');
    expect(windowsDeviceLabel(at32)).toBe('AT32 (2E3C:DF11)');
  });

  it('installs WinUSB with Zadig for each known bootloader', () => {
    const help = windowsAccessHelp();
    const text = usbAccessLines(help).join('\n');
    expect(help.commands).toEqual([]);
    expect(text).toContain('WinUSB');
    expect(text).toContain('Zadig (https://zadig.akeo.ie)');
    expect(text).toContain('"Replace Driver"');
    expect(text).toContain('"STM32 BOOTLOADER" (0483:DF11), GD32 (28E9:0189) or AT32 (2E3C:DF11)');
  });
});

describe('macOS and the rest', () => {
  it('asks for no driver on macOS and points at a program holding the device', () => {
    const help = macosAccessHelp();
    expect(help.summary).toMatch(/^macOS needs no driver/);
    expect(help.commands).toEqual([]);
    expect(help.steps.join(' ')).toMatch(/another program holds it/);
  });

  it('chooses by platform, with a general answer for systems it has no steps for', () => {
    expect(usbAccessHelp('linux', 'inline')).toEqual(linuxAccessHelp('inline'));
    expect(usbAccessHelp('linux', { file: '/x/50-dfu-desk.rules' }).commands[0]).toBe(
      'sudo cp /x/50-dfu-desk.rules /etc/udev/rules.d/',
    );
    expect(usbAccessHelp('win32', 'inline')).toEqual(windowsAccessHelp());
    expect(usbAccessHelp('darwin', 'inline')).toEqual(macosAccessHelp());
    const other = usbAccessHelp('freebsd', 'inline');
    expect(other.summary).toMatch(/your user may open USB devices/);
    expect(other.commands).toEqual([]);
  });

  it('lays help out as the summary, the commands indented, then the steps', () => {
    expect(usbAccessLines({ title: 't', summary: 's', commands: ['a', 'b'], steps: ['c'] }, '    ')).toEqual([
      's',
      '    a',
      '    b',
      'c',
    ]);
  });
});

describe('the documentation agrees with the list', () => {
  it('README "USB access (drivers)" names every id, the commands for build/linux/50-dfu-desk.rules and the Zadig choices', () => {
    const readme = section(repoFile('README.md'), '## USB access (drivers)');
    const prose = readme.replace(/\s+/g, ' ');
    for (const id of dfuBootloaderIds) {
      expect(prose, usbIdLower(id)).toContain(usbIdLower(id));
      expect(prose, windowsDeviceLabel(id)).toContain(windowsDeviceLabel(id));
    }
    const lines = readme.split('\n').map((line) => line.trim());
    for (const command of linuxCommands({ file: 'build/linux/50-dfu-desk.rules' }))
      expect(lines, command).toContain(command);
    expect(readme).toContain('Zadig');
    expect(readme).toContain('WinUSB');
  });

  it('docs/electron.md "USB access per platform" names every id', () => {
    const docs = section(repoFile('docs/electron.md'), '## USB access per platform').replace(/\s+/g, ' ');
    for (const id of dfuBootloaderIds) expect(docs, usbIdLower(id)).toContain(usbIdLower(id));
    expect(docs).toContain('Help > USB Access and Drivers');
  });
});
