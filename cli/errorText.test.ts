import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorText, hintFor, UDEV_RULE } from './errorText.js';
import { repoRoot } from './testing/cliProcess.js';
import { combineExitCodes, ExitCode, exitCodeFor } from './exitCodes.js';

describe('errorText', () => {
  it('explains a permission problem on Linux with the udev rule, not a libusb code', () => {
    const text = errorText({ kind: 'access-denied', platform: 'linux', detail: 'LIBUSB_ERROR_ACCESS' }, 'linux');
    expect(text.split('\n')[0]).toBe('error: no permission to open the USB device (linux): LIBUSB_ERROR_ACCESS');
    expect(text).toContain(UDEV_RULE);
    expect(text).toContain('/etc/udev/rules.d/50-dfu-desk.rules');
    expect(text).toContain('udevadm control --reload-rules');
    expect(UDEV_RULE).toContain('ATTR{idVendor}=="0483", ATTR{idProduct}=="df11", TAG+="uaccess"');
    // The same rule as the one the Linux packages install.
    expect(readFileSync(join(repoRoot, 'build/linux/50-dfu-desk.rules'), 'utf8')).toContain(UDEV_RULE);
  });

  it('explains a permission problem on Windows with Zadig and WinUSB', () => {
    const hint = hintFor({ kind: 'access-denied', platform: 'win32' }, 'linux');
    expect(hint).toContain('Zadig');
    expect(hint).toContain('WinUSB');
    expect(hint).toContain('0483:DF11');
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
