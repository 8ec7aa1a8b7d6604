// Cross-check: Debian's dfu-util, an independent DfuSe host, flashes the project's simulator over
// the virtual USB bus and reads the image back. If the simulator's protocol model were wrong (or
// stricter than real bootloaders), dfu-util would fail here or the simulator would record
// violations. Findings are written up in docs/virtual-usb.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { previousFirmware, SimulatedDevice } from '../core/simulator/device.js';
import { profiles } from '../core/simulator/profiles.js';
import { ScaledClock } from '../core/clock.js';
import { nodeTimers } from '../node/realClock.js';
import { dfuUtilVersion, runDfuUtil } from './dfuUtil.js';
import { describeWithHarness } from './harnessSuite.js';
import { VirtualUsbHost } from './virtualUsbHost.js';

const FLASH = 0x08000000;
// Simulated time runs 100x faster than real time: erases and writes take a fraction of their real
// duration, while dfu-util still sleeps every bwPollTimeout the device reports, in real time.
const SPEED = 100;

function testImage(length: number, seed: number): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x >>> 24;
  });
}

describeWithHarness('dfu-util against the simulator', () => {
  let host: VirtualUsbHost;
  let dir: string;

  beforeAll(async () => {
    host = await VirtualUsbHost.start();
    dir = mkdtempSync(join(tmpdir(), 'dfu-desk-xcheck-'));
  });

  afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // [profile, image length, page or sector size dfu-util erases, dfu-util exit code]
  const cases: [string, number, number, number][] = [
    ['stm32l073', 8192, 128, 0], // 64 pages of 128 B; erased value 0x00
    ['stm32l073', 5000, 128, 0], // a short last chunk (904 B) and a partly written last page
    ['stm32f405', 20 * 1024, 16 * 1024, 0], // crosses from sector 0 into sector 1
    // H7 bootloaders jump before answering the GETSTATUS after the leave request; dfu-util then
    // says "Error during download get_status" and exits with EX_IOERR (74), as in real H743
    // logs (reference §2.6). The image is in flash all the same.
    ['stm32h743', 20 * 1024, 128 * 1024, 74],
  ];

  it.runIf(dfuUtilVersion() !== null).each(cases)('%s: dfu-util downloads %d bytes with :leave and uploads them back unchanged', async (profileId, length, eraseUnit, exitCode) => {
    const profile = profiles[profileId]!;
    const device = new SimulatedDevice({
      profile,
      clock: new ScaledClock(nodeTimers, { speed: SPEED }),
      // The libusb client's own timeout decides, as with a real device.
      hostTimeoutMs: 60_000,
      // A board whose BOOT0 pin is held comes back in DFU mode after leaving, so it can be read.
      reenterAfterLeaveMs: 1000,
    });
    const before = device.peek(FLASH, 64 * 1024);
    const image = testImage(length, length);
    const file = join(dir, `${profileId}-${length}.bin`);
    const readBack = join(dir, `${profileId}-${length}.up.bin`);
    writeFileSync(file, image);
    const plugged = await host.plug(device);

    const download = await runDfuUtil(host, ['-a', '0', '-s', `0x${FLASH.toString(16)}:leave`, '-D', file]);
    expect(download.code, download.stderr).toBe(exitCode);
    expect(download.stdout).toContain('File downloaded successfully');
    expect(device.violations).toEqual([]);
    // Only the pages/sectors the image touches were erased (dfu-util erases before writing).
    const touchedEnd = Math.ceil(length / eraseUnit) * eraseUnit;
    const flash = device.peek(FLASH, 64 * 1024);
    expect(flash.subarray(0, length)).toEqual(image);
    const erased = profile.alternates[0]!.memory.erasedValue;
    expect(flash.subarray(length, Math.min(touchedEnd, flash.length)).every((b) => b === erased)).toBe(true);
    if (touchedEnd < flash.length) expect(flash.subarray(touchedEnd)).toEqual(before.subarray(touchedEnd));
    expect(before.subarray(0, 16)).toEqual(previousFirmware(profile.id, 16));

    // The device left DFU mode (gone from the bus), then came back with a new address.
    await host.nextAttach(device, plugged, 5000);
    const upload = await runDfuUtil(host, ['-a', '0', '-s', `0x${FLASH.toString(16)}:${length}`, '-U', readBack]);
    expect(upload.code, upload.stderr).toBe(0);
    expect(new Uint8Array(readFileSync(readBack))).toEqual(image);
    expect(device.violations).toEqual([]);
    const current = host.current(device);
    if (current) await host.unplug(current.id);
  });
});
