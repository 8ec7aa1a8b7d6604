// The dfu-desk CLI over real libusb: `node bin/dfu-desk.js` runs WITHOUT --simulate in a process
// with umockdev's preload, so its NodeUsbBus finds the project's simulator as a real
// /dev/bus/usb device. Each command's output is checked against what the simulated board holds.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIntelHex } from '../core/image/intelHex.js';
import { MemoryImage } from '../core/image/memoryImage.js';
import type { SimulatedDevice } from '../core/simulator/device.js';
import { lcgBytes } from '../core/simulator/pseudoRandom.js';
import { cliBundle, repoRoot, runCliProcess, type CliRun } from '../cli/testing/cliProcess.js';
import { describeWithHarness, simulatedBoard } from './harnessSuite.js';
import { VirtualUsbHost, type PluggedDevice } from './virtualUsbHost.js';

const FLASH = 0x08000000;
const idOf = (plugged: PluggedDevice) => `usb:1-${plugged.id}`;

describeWithHarness('dfu-desk CLI over NodeUsbBus on the virtual bus', () => {
  let host: VirtualUsbHost;
  let dir: string;
  const plugged: PluggedDevice[] = [];

  /**
   * Runs the real CLI (bin/dfu-desk.js with a fresh bundle of the source) as a libusb client of the
   * virtual bus. Asynchronously: the boards answering it live on this process's event loop.
   */
  function dfuDesk(...args: string[]): Promise<CliRun> {
    const env = host.clientEnv({});
    return runCliProcess(args, {
      cwd: dir,
      env: {
        UMOCKDEV_DIR: env.UMOCKDEV_DIR!,
        LD_PRELOAD: env.LD_PRELOAD!,
        // The test bundle lives in a temporary folder, where Node cannot find the `usb` package it
        // leaves external; the real build (dist/cli) finds it next to itself.
        NODE_PATH: join(repoRoot, 'node_modules'),
      },
    });
  }

  async function plug(spec: string): Promise<{ device: SimulatedDevice; id: string; at: PluggedDevice }> {
    const device = simulatedBoard(spec);
    const at = await host.plug(device);
    plugged.push(at);
    return { device, id: idOf(at), at };
  }

  beforeAll(async () => {
    [host] = await Promise.all([VirtualUsbHost.start(), cliBundle()]);
    dir = mkdtempSync(join(tmpdir(), 'dfu-desk-cli-usb-'));
  }, 30_000);

  afterEach(async () => {
    for (const at of plugged.splice(0)) await host.unplug(at.id);
  });

  afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('list --json: the boards on the bus as real USB devices with their bus path', async () => {
    const l073 = await plug('stm32l073');
    const h743 = await plug('stm32h743');
    const run = await dfuDesk('list', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toMatchObject({ type: 'result', command: 'list', ok: true, exitCode: 0 });
    const devices = run.result.devices as Record<string, unknown>[];
    // In libusb's order (newest first on Linux); the CLI does not sort.
    expect(devices.map((d) => d.id).sort()).toEqual([l073.id, h743.id].sort());
    for (const board of [l073, h743]) {
      const descriptor = board.device.descriptors.device;
      expect(devices.find((d) => d.id === board.id)).toEqual({
        id: board.id,
        vendorId: 0x0483,
        productId: 0xdf11,
        bcdDevice: descriptor[12]! | (descriptor[13]! << 8),
        serialNumber: board.device.descriptors.strings.get(descriptor[16]!),
        path: `1-${board.at.id}`,
        product: board.device.descriptors.strings.get(descriptor[15]!),
        isSimulated: false,
      });
    }
    // Each board's own product string, read over USB (the H7 calls itself "DFU in FS Mode").
    expect(new Set(devices.map((d) => d.product)).size).toBe(2);
  });

  it("info --json: descriptors read over USB, alt settings with their regions, and the corrections for the L073's layout string", async () => {
    const { id, at } = await plug('stm32l073');
    // Selected by USB path, as `list` prints it.
    const run = await dfuDesk('info', '--device', `1-${at.id}`, '--json');
    expect(run.code, run.stderr).toBe(0);
    const device = run.result.device as Record<string, unknown>;
    expect(device).toMatchObject({
      id,
      family: 'L0',
      isSimulated: false,
      manufacturer: 'STMicroelectronics',
      functional: { transferSize: 2048, canUpload: true, canDownload: true, dfuVersion: 0x011a, source: 'interface' },
      quirks: expect.arrayContaining(['error-state-at-connect']),
    });
    const alternates = device.alternates as Record<string, unknown>[];
    expect(alternates.map((a) => [a.alternate, a.name, a.descriptor])).toEqual([
      [0, 'Internal Flash', '@Internal Flash  /0x08000000/1536*128g'],
      [1, 'Option Bytes', '@Option Bytes  /0x1FF80000/01*032 e'],
      [2, 'DATA Memory', '@DATA Memory /0x08080000/2*3Ke'],
    ]);
    expect(alternates[0]).toMatchObject({
      region: { start: FLASH, end: FLASH + 1536 * 128, segments: [{ sectorSize: 128, sectorCount: 1536, erasable: true, writable: true }] },
      corrections: [
        { position: 29, message: expect.stringContaining('4 digits') },
        { position: 37, message: expect.stringContaining('no size multiplier') },
      ],
    });
    expect(alternates[1]).toMatchObject({ corrections: [] });
    // The connect recovery (the L0 starts in dfuERROR) went over USB too.
    expect(run.json).toContainEqual(expect.objectContaining({ type: 'log', device: id, message: expect.stringContaining('clear-status') }));
  });

  it.each(['stm32l073', 'stm32f405', 'stm32h743'])('flash FILE --json on %s: planned, written and verified; the board holds the image', async (profileId) => {
    const { device, id } = await plug(profileId);
    // An odd-length application and a small configuration block further up, as a linker makes them.
    const code = lcgBytes(24 * 1024 + 333, 11);
    const config = lcgBytes(300, 12);
    const configAt = FLASH + 0x20000;
    const image = MemoryImage.fromBlocks([
      { start: FLASH, data: code },
      { start: configAt, data: config },
    ]);
    const file = join(dir, `${profileId}.hex`);
    const text = writeIntelHex(image);
    writeFileSync(file, text);

    const run = await dfuDesk('flash', file, '--device', id, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toMatchObject({ command: 'flash', ok: true, passed: 1, failed: 0, image: { format: 'intel-hex', sizeBytes: text.length } });
    const [result] = run.result.devices as Record<string, unknown>[];
    expect(result).toMatchObject({ ok: true, exitCode: 0, device: { id, isSimulated: false }, verify: { isMatch: true, mismatchCount: 0, bytesCompared: code.length + config.length } });
    const phases = run.json.filter((e) => e.type === 'phase' && e.status === 'finish').map((e) => e.phase);
    // Before the erase, one read per head or tail of a partly covered sector (to say whether anything is lost).
    expect(phases.filter((phase) => phase !== 'read')).toEqual(['connect', 'erase', 'write', 'verify']);
    expect(phases.lastIndexOf('read')).toBeLessThan(phases.indexOf('erase'));

    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.peek(configAt, config.length)).toEqual(config);
    expect(device.violations).toEqual([]);
    // The sectors the plan named are the ones erased: the gap between the blocks keeps the
    // erased value only where the plan's sectors cover it.
    const sectors = ((result!.plans as Record<string, unknown>[])[0]!.sectors as { start: number; end: number }[]).map((s) => [s.start, s.end]);
    expect(sectors[0]![0]).toBe(FLASH);
    expect(sectors.some(([start, end]) => start! <= configAt && configAt < end!)).toBe(true);
  });

  it('read -o out.bin: the file is byte-identical to the board memory', async () => {
    const { device, id } = await plug('stm32f405');
    const length = 20 * 1024 + 7;
    const out = join(dir, 'out.bin');
    const run = await dfuDesk('read', '--device', id, '--alt', '0', '--address', '0x08000000', '--length', String(length), '-o', out);
    expect(run.code, run.stderr).toBe(0);
    const file = new Uint8Array(readFileSync(out));
    const memory = device.peek(FLASH, length);
    // The board holds an old application, not erased flash: a read that returned nothing would show.
    expect(memory.some((b) => b !== 0xff)).toBe(true);
    expect(file).toEqual(memory);
  });

  it('flash on a board unplugged mid-write: exit 5 and a device-gone error, in JSON and in the human output', async () => {
    const image = join(dir, 'app.bin');
    writeFileSync(image, lcgBytes(64 * 1024, 13));

    const first = await plug('stm32f405:unplugMidWrite');
    // The board comes back 2 s after the unplug, which a loaded machine can outlast before the CLI
    // exits: record the disconnect when it happens instead of sampling isConnected afterwards.
    let wasUnplugged = false;
    const unwatch = first.device.onConnectionChange((isConnected) => {
      if (!isConnected) wasUnplugged = true;
    });
    const json = await dfuDesk('flash', image, '--address', '0x08000000', '--device', first.id, '--json');
    expect(json.code, json.stderr).toBe(5);
    expect(json.result).toMatchObject({ ok: false, exitCode: 5, failed: 1 });
    const [failed] = json.result.devices as Record<string, unknown>[];
    expect(failed).toMatchObject({
      ok: false,
      exitCode: 5,
      error: { kind: 'device-gone', during: expect.stringMatching(/^write of \d+ bytes at 0x080/), message: expect.stringContaining('disconnected') },
    });
    unwatch();
    expect(wasUnplugged).toBe(true);

    const second = await plug('stm32l073:unplugMidWrite');
    const human = await dfuDesk('flash', image, '--address', '0x08000000', '--device', second.id);
    expect(human.code).toBe(5);
    expect(human.stderr).toMatch(/^error: .*disconnected during write of \d+ bytes at 0x080/m);
  });
});
