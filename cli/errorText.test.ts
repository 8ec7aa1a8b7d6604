import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dfuBootloaderIds, udevRuleLine, UDEV_RULES_PATH, usbAccessHelp, usbAccessLines } from '../core/devices/usbAccess.js';
import { accessDeniedHint, errorText, hintFor } from './errorText.js';
import { repoRoot } from './testing/cliProcess.js';
import { combineExitCodes, ExitCode, exitCodeFor } from './exitCodes.js';

describe('errorText', () => {
  it('explains a permission problem on Linux with the udev rules written inline, not a libusb code', () => {
    const text = errorText({ kind: 'access-denied', platform: 'linux', detail: 'LIBUSB_ERROR_ACCESS' }, 'linux');
    const lines = text.split('\n');
    expect(lines[0]).toBe('error: no permission to open the USB device (linux): LIBUSB_ERROR_ACCESS');
    expect(lines[1]).toMatch(/^hint: Install the udev rule 50-dfu-desk\.rules /);
    expect(text).toContain(`| sudo tee ${UDEV_RULES_PATH}`);
    expect(text).toContain('  sudo udevadm control --reload-rules');
    // Every rule the Linux packages install, and the same lines as build/linux/50-dfu-desk.rules.
    const packaged = readFileSync(join(repoRoot, 'build/linux/50-dfu-desk.rules'), 'utf8');
    for (const id of dfuBootloaderIds) {
      expect(text).toContain(`'${udevRuleLine(id)}'`);
      expect(packaged).toContain(udevRuleLine(id));
    }
  });

  it('docs/cli.md shows the same Linux commands the CLI prints', () => {
    const permissions = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8').split('## Permissions')[1] ?? '';
    const printed = accessDeniedHint('linux').split('\n').filter((line) => line.startsWith('  ')).map((line) => line.slice(2));
    expect(printed.length).toBeGreaterThan(2);
    for (const line of printed) expect(permissions).toContain(line);
  });

  it('explains a permission problem on Windows with Zadig and WinUSB, naming every bootloader', () => {
    const hint = hintFor({ kind: 'access-denied', platform: 'win32' }, 'linux');
    expect(hint).toContain('Zadig');
    expect(hint).toContain('WinUSB');
    for (const usbId of ['0483:DF11', '28E9:0189', '2E3C:DF11']) expect(hint).toContain(usbId);
  });

  it('takes the platform from the error, else from the machine, and renders the one source for it', () => {
    expect(hintFor({ kind: 'access-denied', platform: 'darwin' }, 'linux')).toMatch(/^macOS needs no driver/);
    expect(hintFor({ kind: 'access-denied', platform: '' }, 'win32')).toBe(accessDeniedHint('win32'));
    for (const platform of ['linux', 'win32', 'darwin', 'freebsd']) {
      expect(accessDeniedHint(platform)).toBe(usbAccessLines(usbAccessHelp(platform, 'inline')).join('\n'));
    }
  });

  it('gives no hint where there is nothing for the user to do', () => {
    expect(hintFor({ kind: 'device-status', status: 4, state: 10, during: 'erase' }, 'linux')).toBeUndefined();
    expect(errorText({ kind: 'timeout', during: 'mass erase', waitedMs: 40_000 }, 'linux')).toBe('error: device still busy after 40000 ms during mass erase');
  });
});

describe('exit codes', () => {
  it('maps every error family to its documented code', () => {
    expect(exitCodeFor({ kind: 'invalid-argument', argument: '--address', reason: 'x' })).toBe(2);
    expect(exitCodeFor({ kind: 'confirmation-required', action: 'permanent-lock', reason: 'x' })).toBe(2);
    expect(exitCodeFor({ kind: 'image-format', format: 'intel-hex', reason: 'x' })).toBe(3);
    expect(exitCodeFor({ kind: 'image-too-large', imageEnd: 2, regionEnd: 1, region: 'r' })).toBe(3);
    expect(exitCodeFor({ kind: 'no-device' })).toBe(4);
    expect(exitCodeFor({ kind: 'ambiguous-device', candidates: [] })).toBe(4);
    expect(exitCodeFor({ kind: 'device-gone', during: 'write' })).toBe(5);
    expect(exitCodeFor({ kind: 'verify-mismatch', firstAddress: 0, count: 1, ranges: 1 })).toBe(6);
    expect(exitCodeFor({ kind: 'access-denied', platform: 'linux' })).toBe(7);
    expect(exitCodeFor({ kind: 'cancelled', during: 'erase' })).toBe(130);
    expect(exitCodeFor({ kind: 'internal', message: 'bug' })).toBe(1);
  });

  it('combines several devices: cancellation wins, then the first failure in device order', () => {
    expect(combineExitCodes([ExitCode.ok, ExitCode.ok])).toBe(0);
    expect(combineExitCodes([ExitCode.ok, ExitCode.verifyMismatch, ExitCode.deviceError])).toBe(6);
    expect(combineExitCodes([ExitCode.deviceError, ExitCode.cancelled])).toBe(130);
    expect(combineExitCodes([])).toBe(0);
  });
});
