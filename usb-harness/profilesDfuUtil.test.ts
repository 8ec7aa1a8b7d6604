// The simulator profiles added from public captures (issue 16), each flashed by dfu-util 0.11 over
// the virtual USB bus: an independent DfuSe host must find every simulated ROM usable as its real
// counterpart is (dfu-util -l listings of these chips are where their strings come from), with no
// protocol violation recorded and the image in flash afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lcgBytes } from '../core/simulator/pseudoRandom.js';
import { profiles } from '../core/simulator/profiles.js';
import { dfuUtilVersion, runDfuUtil } from './dfuUtil.js';
import { describeWithHarness, simulatedBoard } from './harnessSuite.js';
import { VirtualUsbHost } from './virtualUsbHost.js';

const FLASH = 0x08000000;
const NEW_PROFILES = ['stm32f042', 'stm32f107', 'stm32f722', 'stm32g431', 'stm32l452', 'stm32h7a3', 'stm32u585', 'gd32vf103', 'at32f437'];

describeWithHarness('dfu-util flashes the profiles built from public captures', () => {
  let host: VirtualUsbHost;
  let dir: string;

  beforeAll(async () => {
    host = await VirtualUsbHost.start();
    dir = mkdtempSync(join(tmpdir(), 'dfu-desk-profiles-'));
  });

  afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(dfuUtilVersion() !== null).each(NEW_PROFILES)('%s: dfu-util -D with :leave, the image is in flash, no violation', async (profileId) => {
    const profile = profiles[profileId]!;
    const device = simulatedBoard(profileId);
    const plugged = await host.plug(device);
    try {
      const image = lcgBytes(6 * 1024 + 33, profileId.length);
      const file = join(dir, `${profileId}.bin`);
      writeFileSync(file, image);
      const id = `${profile.vendorId.toString(16).padStart(4, '0')}:${profile.productId.toString(16).padStart(4, '0')}`;
      const run = await runDfuUtil(host, ['-d', id, '-a', '0', '-s', `0x${FLASH.toString(16)}:leave`, '-D', file]);
      expect(run.stdout, run.stderr).toContain('File downloaded successfully');
      // ROMs that jump before answering the GETSTATUS after leave make dfu-util exit with 74 (reference §2.6);
      // dfu-util knows the GD32 does that (QUIRK_DFUSE_LEAVE) and does not ask.
      expect(run.code, run.stderr).toBe(profile.quirks.noStatusAfterLeave && profile.vendorId !== 0x28e9 ? 74 : 0);
      expect(device.peek(FLASH, image.length)).toEqual(image);
      expect(device.violations).toEqual([]);
    } finally {
      if (host.current(device)) await host.unplug(plugged.id);
    }
  }, 60_000);
});
