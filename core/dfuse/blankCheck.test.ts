// Blank sectors are not erased (core/dfuse/blankCheck.ts): on every simulator profile, whatever the
// board holds, a flash erases exactly the touched sectors holding data where the family's flash
// decides by value, every touched sector where it carries ECC, and the result always verifies.
import fc from 'fast-check';
import { VirtualClock } from '../clock.js';
import { DFU_DNLOAD, DFU_UPLOAD } from '../dfu/spec.js';
import { blankSectorCheck, familyFacts } from '../devices/stm32.js';
import { isDfuError } from '../errors.js';
import { MemoryImage } from '../image/memoryImage.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { parseScenario } from '../simulator/scenarios.js';
import type { DfuTransport, OpenedDevice } from '../usb/transport.js';
import { decodeCommand } from './commands.js';
import { flashSizeLimit } from './flashLimit.js';
import { sectorsIn } from './memoryLayout.js';
import { planProgram } from './plan.js';
import { mainFlashOf } from './regionRole.js';
import { DfuseSession, type SessionEvent } from './session.js';

interface Rig {
  readonly device: SimulatedDevice;
  readonly session: DfuseSession;
  /** Page-erase addresses sent, in order. */
  readonly erases: number[];
  readonly counts: { uploads: number };
  readonly events: SessionEvent[];
}

async function rig(profileId: string, scenario = 'blank'): Promise<Rig> {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(scenario), clock });
  const opened = device.open();
  const erases: number[] = [];
  const counts = { uploads: 0 };
  const inner = opened.transport;
  const transport: DfuTransport = {
    controlIn: (request, value, length) => {
      if (request === DFU_UPLOAD && value >= 2) counts.uploads++;
      return inner.controlIn(request, value, length);
    },
    controlOut: (request, value, data) => {
      if (request === DFU_DNLOAD && value === 0 && data) {
        const command = decodeCommand(data);
        if (command?.kind === 'erase-page') erases.push(command.address);
        if (command?.kind === 'mass-erase') erases.push(-1);
      }
      return inner.controlOut(request, value, data);
    },
    selectAlternate: (alternate) => inner.selectAlternate(alternate),
    close: () => inner.close(),
  };
  const events: SessionEvent[] = [];
  const session = await DfuseSession.open({ ...opened, transport } satisfies OpenedDevice, { clock, onEvent: (e) => events.push(e) });
  return { device, session, erases, counts, events };
}

type SectorContent = 'blank' | 'head' | 'middle' | 'tail';

describe('blank sectors are not erased', () => {
  for (const profileId of Object.keys(profiles)) {
    it(`${profileId}: erases exactly the touched sectors that hold data (or all of them on flash with ECC), and verifies`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom<SectorContent>('blank', 'head', 'middle', 'tail'), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 0xffff }),
          async (contents, seed) => {
            const { device, session, erases } = await rig(profileId);
            const flash = mainFlashOf(session.info)!;
            const region = flash.layout.region;
            const erased = familyFacts(session.info.family).erasedValue;
            const first = region.segments.find((s) => s.erasable)!;
            // Below the real flash (the flash-size register read at connect: an H750 has one 128 KiB sector).
            const realEnd = flashSizeLimit(session.info, region, 'flash')?.end ?? first.end;
            const sectors = sectorsIn(region, { start: first.start, end: Math.min(first.end, realEnd) }).slice(0, contents.length);
            // What the board holds before: per sector blank, or one byte of data at its head, middle or tail.
            contents.slice(0, sectors.length).forEach((content, i) => {
              const sector = sectors[i]!;
              if (content === 'blank') return;
              const at = content === 'head' ? sector.start : content === 'tail' ? sector.end - 1 : sector.start + Math.floor((sector.end - sector.start) / 2);
              device.poke(at, Uint8Array.of(erased ^ 0x5a));
            });
            const start = sectors[0]!.start;
            const end = sectors[sectors.length - 1]!.end;
            const image = MemoryImage.fromBytes(start, nonErasedBytes(end - start, seed));
            const result = await session.program(image, { erase: 'touched', verify: true });

            const isSafe = blankSectorCheck(session.info.family).isSafe;
            const withData = sectors.filter((_, i) => contents[i] !== 'blank').map((s) => s.start);
            expect(erases).toEqual(isSafe ? withData : sectors.map((s) => s.start));
            expect(result.sectorsErased + result.sectorsBlank).toBe(sectors.length);
            expect(result.verify?.isMatch).toBe(true);
            expect(device.violations).toEqual([]);
          },
        ),
        { numRuns: 6, seed: 0x5eed },
      );
    });
  }

  it('reads one block of a sector that holds data at its start (a board with firmware costs little)', async () => {
    const { session, device, erases, counts, events } = await rig('stm32f405', 'healthy');
    // The old application fills sectors 0-2 (48 KiB); make every other sector hold data at its start too.
    for (const address of [0x0800c000, 0x08010000, 0x08020000, 0x08040000, 0x08060000, 0x08080000, 0x080a0000, 0x080c0000, 0x080e0000]) {
      device.poke(address, Uint8Array.of(0x42));
    }
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(1024 * 1024, 7));
    const result = await session.program(image, { erase: 'touched', verify: false });
    expect(result.sectorsErased).toBe(12);
    expect(erases).toHaveLength(12);
    // One 2 KiB block per sector decides it.
    expect(counts.uploads).toBe(12);
    expect(events.some((e) => e.type === 'log' && e.message === 'no sector was blank (24 KiB read to check); 12 sectors erased')).toBe(true);
  });

  it('reads a blank-looking sector to its end: data in the last byte of a 128 KiB sector is found', async () => {
    const { session, device, erases } = await rig('stm32f405');
    device.poke(0x0803ffff, Uint8Array.of(0x00));
    const image = MemoryImage.fromBytes(0x08020000, nonErasedBytes(2 * 128 * 1024, 3));
    const result = await session.program(image, { erase: 'touched', verify: true });
    expect(erases).toEqual([0x08020000]);
    expect(result.sectorsBlank).toBe(1);
    expect(result.verify?.isMatch).toBe(true);
  });

  it('a fresh chip needs no erase: a 1 MiB image on a blank F405 erases nothing, with few reads', async () => {
    const { session, erases, counts, events } = await rig('stm32f405');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(1024 * 1024, 11));
    const uploadsAtConnect = counts.uploads;
    const result = await session.program(image, { erase: 'touched', verify: false });
    expect(erases).toEqual([]);
    expect(result.sectorsBlank).toBe(12);
    // 512 blocks of 2 KiB to check, in reads that grow from 1 to 32 blocks per sector.
    expect(counts.uploads - uploadsAtConnect).toBe(512);
    expect(events.filter((e) => e.type === 'phase' && e.status === 'finish').map((e) => (e as { phase: string }).phase)).toEqual(['connect', 'erase', 'write']);
    expect(await session.verify(image)).toMatchObject({ isMatch: true });
  });

  it('not on L0/L1: their flash has ECC and erases to 0x00, so a blank-reading page is erased all the same', async () => {
    const { session, erases, counts } = await rig('stm32l073');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(4096, 11));
    const plan = planProgram({ image, info: session.info, alternate: 0, options: { erase: 'touched', verify: true } });
    expect(plan.blankCheck).toBe(false);
    expect(blankSectorCheck('L0')).toMatchObject({ isSafe: false, reason: expect.stringContaining('ECC') });
    const uploadsAtConnect = counts.uploads;
    await session.execute(plan);
    expect(erases).toHaveLength(32);
    // The only uploads are the verification's.
    expect(counts.uploads - uploadsAtConnect).toBe(2);
  });

  it.each(['stm32l072xb', 'stm32h750'])('never where the described flash may be more than the chip has (%s, flash-size register not read)', async (profileId) => {
    const { session } = await rig(profileId, 'blank');
    const unknownSize = { ...session.info, flashSizeBytes: undefined };
    // An image across the real end: reading above it hangs these ROMs (the simulator too).
    const image = MemoryImage.fromBytes(0x0801f000, nonErasedBytes(8192, 3));
    const plan = planProgram({ image, info: unknownSize, alternate: 0, options: { erase: 'touched', verify: true } });
    expect(plan.warnings.map((w) => w.kind)).toContain('flash-overstated');
    expect(plan.blankCheck).toBe(false);
  });

  it('never for a mass erase turned into sector erases below a flash-size limit (the user asked to clear the chip)', async () => {
    const { session } = await rig('stm32f405');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(4096, 3));
    const mass = planProgram({ image, info: session.info, alternate: 0, options: { erase: 'mass', verify: true, flashSizeBytes: 512 * 1024 } });
    expect(mass.eraseMode).toBe('touched');
    expect(mass.sectors).toHaveLength(8);
    expect(mass.blankCheck).toBe(false);
    const touched = planProgram({ image, info: session.info, alternate: 0, options: { erase: 'touched', verify: true, flashSizeBytes: 512 * 1024 } });
    expect(touched.blankCheck).toBe(true);
  });

  it('skipBlankSectors: false erases every touched sector, blank or not', async () => {
    const { session, erases, counts } = await rig('stm32f405');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(64 * 1024, 5));
    const result = await session.program(image, { erase: 'touched', verify: false, skipBlankSectors: false });
    expect(erases).toEqual([0x08000000, 0x08004000, 0x08008000, 0x0800c000]);
    expect(result.sectorsBlank).toBe(0);
    expect(counts.uploads).toBe(0);
  });

  it('the executor refuses a plan whose erased value is not the family\'s (a blank check against 0x00 on an F405)', async () => {
    const { session, erases } = await rig('stm32f405');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(4096, 5));
    const plan = planProgram({ image, info: session.info, alternate: 0, options: { erase: 'touched', verify: true } });
    expect(plan.blankCheck).toBe(true);
    const forged = await session.execute({ ...plan, erasedValue: 0x00 }).catch((error: unknown) => error);
    expect(isDfuError(forged) && forged.info).toMatchObject({ kind: 'not-writable', detail: expect.stringContaining("erased value 0x0 is not this family's") });
    expect(erases).toEqual([]);
  });

  it('the executor refuses anything above the flash-size limit the session read, blank check or not (L072xB: the ROM hangs there)', async () => {
    const { session, device } = await rig('stm32l072xb', 'healthy');
    expect(session.info.flashSizeBytes).toBe(128 * 1024);
    // Planned as if the size were not known (the descriptor's 192 KiB).
    const image = MemoryImage.fromBytes(0x0801ff00, nonErasedBytes(512, 5));
    const plan = planProgram({ image, info: { ...session.info, flashSizeBytes: undefined }, alternate: 0, options: { erase: 'touched', verify: true } });
    const refused = await session.execute(plan).catch((error: unknown) => error);
    expect(isDfuError(refused) && refused.info).toMatchObject({ kind: 'not-writable', address: 0x08020000, detail: expect.stringContaining('flash-size limit') });
    expect(device.isHung).toBe(false);
  });

  it('never on flash with ECC: the planner leaves it off on a G474, and the executor refuses a plan that turns it on', async () => {
    const { session, device, erases } = await rig('stm32g474');
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(2048, 9));
    const plan = planProgram({ image, info: session.info, alternate: 0, options: { erase: 'touched', verify: true } });
    expect(plan.blankCheck).toBe(false);
    // Why (core/simulator/memory.test.ts models it): a double word written with 0xFF reads blank but refuses a second write.
    const forced = await session.execute({ ...plan, blankCheck: true }).catch((error: unknown) => error);
    expect(isDfuError(forced) && forced.info).toMatchObject({ kind: 'not-writable', detail: expect.stringContaining('refused by the executor: no blank check here') });
    expect(erases).toEqual([]);
    // As planned, the page is erased first and the image lands.
    const result = await session.execute(plan);
    expect(result.sectorsErased).toBe(1);
    expect(result.verify?.isMatch).toBe(true);
    expect(device.peek(0x08000000, 2048)).toEqual(image.read({ start: 0x08000000, end: 0x08000800 }, 0xff));
  });
});
