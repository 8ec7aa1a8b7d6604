// The write policy through the app's service (the same cases cli/commands/writePolicy.test.ts runs
// through the CLI): every refusal happens before the device is touched, and what the CLI refuses
// the app refuses too.
import { readFileSync } from 'node:fs';
import { bytesEqual } from '../../core/bytes.js';
import { bootloaderKey } from '../../core/dfuse/bootloaderKey.js';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { f4FactoryOptionBytes } from '../../core/simulator/optionBytesModel.js';
import { expectOk, firmware, FLASH, hexBytes, rejection, setup } from './testing/serviceHarness.js';

const OB_F4 = 0x1fffc000;
const OTP_F4 = 0x1fff7800;
const OTP_LOCK_F4 = 0x1fff7a00;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../core/testing/fixtures/firmware/${name}`, import.meta.url)));

/** The F405's factory option-byte block with another RDP byte. */
function optionBlock(rdp: number): Uint8Array {
  const raw = f4FactoryOptionBytes().slice();
  raw[1] = rdp;
  return raw;
}

describe('write policy in the app service', () => {
  it('raw option bytes from a file need "write-option-bytes", and RDP level 2 also "permanent-lock"; nothing is sent without them', async () => {
    const { service, device } = await setup({ spec: 'stm32f405' });
    const before = device('sim:1').memory(1).slice();
    await service.openImage({ kind: 'bytes', fileName: 'ob.bin', bytes: optionBlock(0xcc), baseAddress: OB_F4 });
    const preview = await service.planProgram({ erase: 'touched', verify: true });
    expect(preview.plans).toEqual([]);
    expect(preview.optionBytes).toEqual({ address: OB_F4, sizeBytes: 16, rdpLevel: 2 });
    expect(preview.confirmations.map((c) => c.kind)).toEqual(['write-option-bytes', 'permanent-lock']);
    expect((await rejection(service.program({ options: { erase: 'touched', verify: true } }))).info).toMatchObject({ kind: 'confirmation-required', action: 'write-option-bytes' });
    expect((await rejection(service.program({ options: { erase: 'touched', verify: true }, confirmed: ['write-option-bytes'] }))).info).toMatchObject({
      kind: 'confirmation-required',
      action: 'permanent-lock',
    });
    expect(device('sim:1').memory(1)).toEqual(before);
    expect(device('sim:1').stats.operations.optionBytes).toBe(0);
  });

  it('a confirmed raw option-byte block is written last and the device resets', async () => {
    const { service, device } = await setup({ spec: 'stm32f405' });
    const block = optionBlock(0xaa);
    block[0] = 0xcc; // a user option bit pattern different from the factory one (WDG_SW etc.)
    await service.openImage({ kind: 'bytes', fileName: 'ob.bin', bytes: block, baseAddress: OB_F4 });
    expectOk(await service.program({ options: { erase: 'touched', verify: true }, confirmed: ['write-option-bytes'] }));
    expect(device('sim:1').stats.operations.optionBytes).toBe(1);
  });

  it('a HEX that writes the F405 OTP area and its lock bytes needs "write-otp"', async () => {
    const { service, device } = await setup({ spec: 'stm32f405' });
    const otp = MemoryImage.fromBlocks([
      { start: OTP_F4, data: new Uint8Array(32).fill(0x42) },
      { start: OTP_LOCK_F4, data: new Uint8Array([0x00]) },
    ]);
    await service.openImage({ kind: 'bytes', fileName: 'otp.hex', bytes: hexBytes(otp) });
    const preview = await service.planProgram({ erase: 'touched', verify: true });
    expect(preview.confirmations.map((c) => c.kind)).toEqual(['write-otp']);
    expect(preview.confirmations[0]!.isIrreversible).toBe(true);
    expect((await rejection(service.program({ options: { erase: 'touched', verify: true } }))).info).toMatchObject({ kind: 'confirmation-required', action: 'write-otp' });
    expect(device('sim:1').peek(OTP_F4, 32).every((b) => b === 0xff)).toBe(true);
    const done = await service.program({ options: { erase: 'touched', verify: true }, confirmed: ['write-otp'] });
    expect(done).toMatchObject({ ok: true, verify: { isMatch: true } });
    expect(device('sim:1').peek(OTP_F4, 32).every((b) => b === 0x42)).toBe(true);
  });

  it('"Start the application when done" does not start firmware that failed verification', async () => {
    const { service, device, snapshot } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(4096)) });
    const result = await service.program({ options: { erase: 'none', verify: true, leave: true } });
    expect(result).toMatchObject({ ok: false, error: { kind: 'verify-mismatch' } });
    expect(result.timings.map((t) => t.phase)).not.toContain('leave');
    expect(device('sim:1').stats.operations.leave).toBe(0);
    expect((await snapshot()).selectedDeviceId).toBe('sim:1');
    // A verified flash does leave.
    const good = await service.program({ options: { erase: 'touched', verify: true, leave: true } });
    expect(good.timings.map((t) => t.phase)).toContain('leave');
    expect(device('sim:1').stats.operations.leave).toBe(1);
  });

  it('a mass erase is for the main flash only, even where the option-byte alt says it is erasable (F407 "g")', async () => {
    const { service, device } = await setup({ spec: 'stm32f407' });
    const flash = device('sim:1').memory(0).slice();
    const error = await rejection(service.erase({ kind: 'mass', alternate: 1 }));
    expect(error.info).toMatchObject({ kind: 'invalid-argument', argument: 'erase' });
    expect(error.message).toContain('clears its main flash (alt 0 "Internal Flash") whatever alt setting is selected');
    expect(device('sim:1').stats.operations.massErase).toBe(0);
    expect(bytesEqual(device('sim:1').memory(0), flash)).toBe(true);
  });

  it('an image with STM32L0 data EEPROM is flashed with a mass erase: the EEPROM part erases nothing', async () => {
    const { service, device, snapshot } = await setup({ spec: 'stm32l073' });
    await service.updateSettings({ flashSizeLimits: { [bootloaderKey((await snapshot()).device!)]: 192 * 1024 } });
    await service.openImage({ kind: 'bytes', fileName: 'blinky.hex', bytes: fixture('blinky.hex') });
    const result = await service.program({ options: { erase: 'mass', verify: true } });
    expect(result).toMatchObject({ ok: true, verify: { isMatch: true } });
    expect(device('sim:1').stats.operations.massErase).toBe(1);
    expect(device('sim:1').peek(0x08080000, 16).some((b) => b !== 0)).toBe(true);
  });

  it('erase keeps below the saved real flash size: a range whose sector crosses it is refused (F405, 100 KiB)', async () => {
    const { service, device, snapshot } = await setup({ spec: 'stm32f405' });
    await service.updateSettings({ flashSizeLimits: { [bootloaderKey((await snapshot()).device!)]: 100 * 1024 } });
    const error = await rejection(service.erase({ kind: 'range', alternate: 0, start: 0x08018000, length: 16 }));
    expect(error.info).toMatchObject({ kind: 'invalid-argument' });
    expect(error.message).toContain('erasing would reach 0x08019000');
    expect(device('sim:1').stats.operations.erase).toBe(0);
  });

  it('writes every target of a two-target .dfu (flash and DATA EEPROM), not only the lowest alt setting', async () => {
    const { service, device } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'blinky.dfu', bytes: fixture('blinky.dfu') });
    const preview = await service.planProgram({ erase: 'touched', verify: true });
    expect(preview.plans.map((plan) => plan.region)).toEqual(['Internal Flash', 'DATA Memory']);
    const result = await service.program({ options: { erase: 'touched', verify: true } });
    expect(result).toMatchObject({ ok: true, verify: { isMatch: true, bytesCompared: 212 + 16 } });
    expect(device('sim:1').peek(0x08080000, 16).some((b) => b !== 0)).toBe(true);
  });

  it('a .dfu made for another USB device needs "file-for-other-device"', async () => {
    const { service, device } = await setup({ spec: 'stm32l073' });
    const other = writeDfuFile({ targets: [{ alternate: 0, image: firmware(1024) }], vendorId: 0x1234, productId: 0x5678 });
    await service.openImage({ kind: 'bytes', fileName: 'other.dfu', bytes: other });
    const preview = await service.planProgram({ erase: 'touched', verify: true });
    expect(preview.confirmations).toMatchObject([{ kind: 'file-for-other-device', consequence: expect.stringContaining('1234:5678') }]);
    expect((await rejection(service.program({ options: { erase: 'touched', verify: true } }))).info).toMatchObject({ action: 'file-for-other-device' });
    expect(device('sim:1').stats.operations.erase).toBe(0);
    expectOk(await service.program({ options: { erase: 'touched', verify: true }, confirmed: ['file-for-other-device'] }));
  });
});

describe('flash every board that connects', () => {
  it('refuses a board unlike the one it was turned on for: STM32L073 firmware never lands on an STM32F405', async () => {
    const { service, simulatorBus, device, lastSession, host } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'l0.hex', bytes: hexBytes(firmware(2048).join(MemoryImage.fromBytes(0x08080000, new Uint8Array(16).fill(7)))) });
    await service.updateSettings({ flashOnConnect: true });
    expect(lastSession().flashOnConnectTarget).toMatch(/^STM32L0 \(0483:DF11, bootloader 2200, @Internal Flash/);
    const f405 = simulatorBus.addSpec('stm32f405').summary.id;
    await vi.waitFor(() => expect(lastSession().tally).toEqual({ passed: 0, failed: 1 }));
    expect(device(f405).stats.operations.erase).toBe(0);
    expect(device(f405).stats.bytesWritten).toBe(0);
    const log = await service.getLog();
    expect(log.find((entry) => entry.deviceId === f405 && entry.message.startsWith('REFUSED'))?.message).toContain('it is an STM32F4, not an STM32L0');
    host.clock.advance(10);
  });

  it('queues boards plugged in together: four STM32L073 boards within 100 ms are all flashed, none is "busy"', async () => {
    const { service, simulatorBus, device, lastSession, host } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'l0.hex', bytes: hexBytes(firmware(1024)) });
    await service.updateSettings({ flashOnConnect: true });
    const ids: string[] = [];
    for (let board = 0; board < 4; board++) {
      ids.push(simulatorBus.addSpec('stm32l073').summary.id);
      host.clock.advance(25);
    }
    await vi.waitFor(() => expect(lastSession().tally).toEqual({ passed: 4, failed: 0 }), { timeout: 10_000 });
    for (const id of ids) expect(device(id).peek(FLASH, 1024)).toEqual(firmware(1024).read({ start: FLASH, end: FLASH + 1024 }, 0));
    const log = await service.getLog();
    expect(log.some((entry) => entry.message.includes('busy'))).toBe(false);
  });
});
