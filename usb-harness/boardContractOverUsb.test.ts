// The board contract (core/testing/boardContract.ts) over real libusb: the checks DFU_HARDWARE=1
// runs on a real board, here through the production adapter (node/nodeUsb.ts) in the client
// process against simulated boards on the virtual bus. So the hardware tier's own code runs in
// every CI build, not only on a desk with a board: sector flash (F405), 128-byte pages erased to
// 0x00 (L073) and ECC flash where blank sectors are still erased (G474).
import { describeWithHarness, simulatedBoard, useBusWithClient } from './harnessSuite.js';

describeWithHarness('board contract over NodeUsbBus on the virtual bus', () => {
  const bus = useBusWithClient();

  it.each(['stm32f405', 'stm32l073', 'stm32g474'])('%s: every check passes and the scratch area is restored byte for byte', async (profile) => {
    const device = simulatedBoard(profile);
    const before = device.memory(0).slice();
    const plugged = await bus.host.plug(device);
    const run = await bus.client.call('boardContract', `usb:1-${plugged.id}`);
    expect(run.checks.filter((check) => !check.ok)).toEqual([]);
    expect(run.checks.map((check) => check.name)).toHaveLength(4);
    expect(run.scratch.isRestored).toBe(true);
    const after = device.memory(0);
    const changedAt = after.findIndex((value, i) => value !== before[i]);
    expect(changedAt).toBe(-1);
    expect(device.violations).toEqual([]);
    expect(device.openHandles).toBe(0);
    await bus.host.unplug(plugged.id);
  }, 120_000);
});
