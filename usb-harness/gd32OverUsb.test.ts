// The GD32VF103 through real libusb: the ROM's serial string is 8-bit text (not UTF-16LE) and its
// layout string is wrong (512*002Kg for 128 x 1 KiB pages). The production adapter keeps the raw
// string bytes, so listing, describing and flashing see serial "3CBJ" and the real pages
// (core/devices/dfuseQuirks.ts), and the session flashes and verifies across odd pages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lcgBytes } from '../core/simulator/pseudoRandom.js';
import { dfuUtilVersion, runDfuUtil } from './dfuUtil.js';
import { describeWithHarness, simulatedBoard, useBusWithClient } from './harnessSuite.js';

const FLASH = 0x08000000;

describeWithHarness('GD32VF103 over NodeUsbBus on the virtual bus', () => {
  const bus = useBusWithClient();

  it('lists and describes the UTF-8 serial and the 1 KiB pages, then flashes and verifies', async () => {
    const device = simulatedBoard('gd32vf103');
    const plugged = await bus.host.plug(device);
    const id = `usb:1-${plugged.id}`;
    const listed = (await bus.client.call('list')).find((summary) => summary.id === id);
    expect(listed).toMatchObject({ vendorId: 0x28e9, productId: 0x0189, serialNumber: '3CBJ' });

    const opened = await bus.client.call('open', id);
    const info = await bus.client.call('describe', opened.handle);
    await bus.client.call('close', opened.handle);
    expect(info.serialNumber).toBe('3CBJ');
    expect(info.alternates[0]!.layout!.region.segments[0]).toMatchObject({ start: FLASH, sectorSize: 1024, sectorCount: 128 });
    expect(info.quirks).toEqual(expect.arrayContaining(['gd32-utf8-serial', 'gd32vf103-page-layout']));

    const code = lcgBytes(5 * 1024 + 77, 9);
    const outcome = await bus.client.call('program', id, { blocks: [{ start: FLASH, data: code }], options: { erase: 'touched', verify: true } });
    expect(outcome.verify).toMatchObject({ isMatch: true, mismatchCount: 0 });
    expect(outcome.sectorsErased).toBe(6);
    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.violations).toEqual([]);
    await bus.host.unplug(plugged.id);
  }, 60_000);

  // dfu-util (0.10 and later) has its own GD32VF103 fix-ups (quirks.c): an independent host that
  // must agree with the simulated ROM on the serial, the layout and the leave.
  it.runIf(dfuUtilVersion() !== null)('dfu-util lists serial 3CBJ, fixes the layout itself, flashes with :leave and the pages hold the image', async () => {
    const device = simulatedBoard('gd32vf103');
    await bus.host.plug(device);
    const listed = await runDfuUtil(bus.host, ['-l']);
    expect(listed.stdout).toMatch(/\[28e9:0189\].*alt=0, name="@Internal Flash {2}\/0x08000000\/512\*002Kg", serial="3CBJ"/);

    const dir = mkdtempSync(join(tmpdir(), 'dfu-desk-gd32-'));
    try {
      const code = lcgBytes(5 * 1024 + 77, 11);
      const file = join(dir, 'app.bin');
      writeFileSync(file, code);
      const download = await runDfuUtil(bus.host, ['-d', '28e9:0189', '-a', '0', '-s', '0x08000000:leave', '-D', file]);
      expect(download.code, download.stderr).toBe(0);
      expect(download.stdout).toMatch(/Found GD32VF103, which reports a bad page size/);
      expect(download.stdout).toMatch(/page size 1024, count 128/);
      expect(device.peek(FLASH, code.length)).toEqual(code);
      expect(device.violations).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
