// runFlash with a preparation made before the session connected (the CLI plans from the USB
// description first, then opens the session, which may learn the real flash size).
import { VirtualClock } from '../clock.js';
import { DfuseSession } from '../dfuse/session.js';
import { MemoryImage } from '../image/memoryImage.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { describeDevice } from '../usb/descriptors.js';
import { prepareFlash, runFlash } from './flashJob.js';

const FLASH = 0x08000000;

function sourceOf(image: MemoryImage) {
  // A raw binary at a base address is the simplest file that reaches where we want.
  const bytes = image.read({ start: image.start, end: image.end }, 0);
  return { fileName: 'app.bin', bytes };
}

async function preparedBeforeConnect(profileId: string, image: MemoryImage) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile: profiles[profileId]!, clock });
  // What the CLI sees before connecting: the descriptors alone.
  const described = describeDevice(device.open());
  const prepared = prepareFlash(described, {
    kind: 'flash',
    source: sourceOf(image),
    placement: { baseAddress: image.start },
    options: { erase: 'touched', verify: true },
  });
  const session = await DfuseSession.open(device.open(), { clock });
  return { device, prepared, session };
}

describe('runFlash with a plan made before connecting', () => {
  it('plans again with the flash size the session read at connect: an STM32L072xB refuses 160 KiB before any erase', async () => {
    const { device, prepared, session } = await preparedBeforeConnect('stm32l072xb', MemoryImage.fromBytes(FLASH, nonErasedBytes(160 * 1024, 1)));
    // The description alone cannot tell the L072xB from the 192 KiB parts: the first plan erases 160 KiB.
    expect(prepared.plans[0]!.sectors.at(-1)!.end).toBe(FLASH + 160 * 1024);
    expect(session.info.flashSizeBytes).toBe(128 * 1024);
    await expect(runFlash(session, prepared, { confirmed: [] })).rejects.toMatchObject({ info: { kind: 'not-writable', address: FLASH + 128 * 1024, detail: expect.stringContaining('flash-size register') } });
    expect(device.stats.operations.erase).toBe(0);
    expect(device.isHung).toBe(false);
  });

  it('runs the given plan where the session learned nothing new (STM32L073: 192 KiB confirmed)', async () => {
    const { device, prepared, session } = await preparedBeforeConnect('stm32l073', MemoryImage.fromBytes(FLASH, nonErasedBytes(4096, 2)));
    const outcome = await runFlash(session, prepared, { confirmed: [] });
    expect(outcome.verify?.isMatch).toBe(true);
    expect(device.stats.operations.erase).toBeGreaterThan(0);
  });
});
