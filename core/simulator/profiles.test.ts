import { familyFacts, flashSizeRegisterFor } from '../devices/stm32.js';
import type { Stm32Family } from '../devices/stm32.js';
import { decodeOptionBytes } from '../dfuse/optionBytes.js';
import { parseMemoryLayout } from '../dfuse/memoryLayout.js';
import { capturedDescriptors } from '../testing/fixtures/descriptors.js';
import { describeDevice } from '../usb/descriptors.js';
import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from './device.js';
import { SimulatedMemory } from './memory.js';
import { readRdpLevel, withRdp } from './optionBytesModel.js';
import { profiles } from './profiles.js';

describe('profiles', () => {
  it('use the captured descriptor strings byte for byte', () => {
    const captured = new Set<string>(Object.values(capturedDescriptors).map((c) => c.descriptor));
    const expectedCaptures: Record<string, number[]> = {
      stm32l073: [0, 1, 2],
      stm32l072xb: [0, 1, 2],
      stm32f405: [0, 1, 2, 3],
      stm32f407: [0, 1, 2, 3],
      stm32f429: [1],
      stm32g474: [0, 1, 2],
      stm32h743: [0, 1],
      stm32l152: [0, 1, 2],
    };
    for (const [id, alternates] of Object.entries(expectedCaptures)) {
      for (const alternate of alternates) expect(captured.has(profiles[id]!.alternates[alternate]!.descriptor)).toBe(true);
    }
  });

  for (const profile of Object.values(profiles)) {
    it(`${profile.id}: every alt string, as the product reads it, is the memory the simulator models`, () => {
      // describeDevice applies the descriptor quirks (core/devices/dfuseQuirks.ts): a GD32VF103's
      // "512*002Kg" is read as its real 1 KiB pages. Without them these would differ.
      const info = describeDevice(new SimulatedDevice({ profile, clock: new VirtualClock() }).open());
      profile.alternates.forEach(({ descriptor, memory }, index) => {
        const alternate = info.alternates[index]!;
        expect(alternate.descriptor).toBe(descriptor);
        const { region } = alternate.layout!;
        const modelled = new SimulatedMemory(memory).sectors();
        const parsed = region.segments.flatMap((segment) =>
          Array.from({ length: segment.sectorCount }, (_, i) => ({ start: segment.start + i * segment.sectorSize, end: segment.start + (i + 1) * segment.sectorSize })),
        );
        expect(parsed).toEqual(modelled.map(({ start, end }) => ({ start, end })));
        for (const segment of region.segments) {
          // Old F4 BLs, the GD32VF103 and the AT32 claim "g" for option bytes/OTP; the simulator follows the silicon there.
          const typedErasableByMistake = memory.kind !== 'flash' && /\d\s*[KMB]?\s*g\s*$/i.test(descriptor);
          if (!typedErasableByMistake) expect(segment.erasable).toBe(memory.isErasable);
          expect(segment.writable).toBe(memory.isWritable);
          expect(segment.readable).toBe(memory.isReadable);
        }
      });
      expect(info.alternates[0]!.descriptor).toMatch(/^@Internal Flash/);
      expect(info.alternates[0]!.role).toBe('flash');
      expect(info.alternates[profile.optionBytes.alternate]!.role).toBe('option-bytes');
      // The AT32's "Option byte" is read as "Option bytes" (descriptor quirk).
      expect(info.alternates[profile.optionBytes.alternate]!.name).toMatch(/^Option bytes$/i);
    });
  }

  it('every profile added for issue 16 names the public capture it follows', () => {
    const original = ['stm32l073', 'stm32l072xb', 'stm32f405', 'stm32f407', 'stm32f429', 'stm32f072', 'stm32g474', 'stm32h743', 'stm32l476', 'stm32l152'];
    for (const profile of Object.values(profiles)) {
      if (!original.includes(profile.id)) expect(profile.source ?? '').toMatch(/dfu-util|lsusb|Betaflight|fwupd|Zephyr/);
    }
  });

  for (const profile of Object.values(profiles)) {
    it(`${profile.id}: the family guessed from its USB descriptors is ${profile.family}`, () => {
      const device = new SimulatedDevice({ profile, clock: new VirtualClock() });
      const info = describeDevice(device.open());
      expect({ family: info.family, reason: info.familyReason }).toMatchObject({ family: profile.family });
    });
  }

  it('factory option bytes decode as RDP level 0 on every profile', () => {
    for (const profile of Object.values(profiles)) {
      const memory = new SimulatedMemory(profile.alternates[profile.optionBytes.alternate]!.memory);
      expect(readRdpLevel(profile.optionBytes.layout, memory.read(profile.optionBytes.address, 128))).toBe(0);
    }
  });

  it('model the known quirks where the reference saw them', () => {
    expect(profiles.stm32l073!.quirks.errorAtConnect).toBe(true);
    expect(profiles.stm32l476!.quirks.stallWhenPolledEarly).toBe(true);
    expect(profiles.stm32h743!.quirks.noStatusAfterLeave).toBe(true);
    expect(profiles.stm32h743!.transferSize).toBe(1024);
    expect(profiles.stm32f405!.timings.reported.massErase).toBe(100);
    expect(profiles.stm32f405!.timings.massEraseMs).toBeGreaterThan(10_000);
    expect(profiles.stm32l072xb!.alternates[0]!.memory.realEnd).toBe(0x08020000);
  });
});

describe('profiles agree with the product device tables (core/devices, core/dfuse/optionBytes)', () => {
  // The simulator keeps its own physics on purpose; these tests show where the two agree.
  // Known gaps in the product's option-byte tables, shown as raw bytes there (a new gap fails):
  const rawOnly: Readonly<Record<string, RegExp>> = {};
  for (const profile of Object.values(profiles)) {
    it(`${profile.id}: erased value, program unit, F_SIZE address and decodable factory option bytes`, () => {
      const family: Stm32Family = profile.family;
      const facts = familyFacts(family);
      const flash = profile.alternates[0]!.memory;
      expect(flash.erasedValue).toBe(facts.erasedValue);
      // The product aligns and pads chunks to its unit: it must be a whole number of the chip's
      // (H7A3 programs 16-byte flash words, the H7 table says 32).
      expect(facts.programUnitBytes % flash.programUnit).toBe(0);
      if (family === 'unknown') return; // GD32/AT32: no product table to agree with
      const region = parseMemoryLayout(profile.alternates[0]!.descriptor).region;
      expect(profile.systemMemory.flashSizeAddress).toBe(flashSizeRegisterFor(family, region));

      const { address, layout } = profile.optionBytes;
      const memory = new SimulatedMemory(profile.alternates[profile.optionBytes.alternate]!.memory);
      const raw = memory.read(address, 128);
      const decoded = decodeOptionBytes(family, address, raw);
      const gap = rawOnly[profile.id];
      if (gap) {
        expect(decoded.warnings.join('\n')).toMatch(gap);
      } else {
        expect(decoded.warnings).toEqual([]);
      }
      expect(decoded.hasRdp).toBe(true);
      expect(decoded.rdpLevel).toBe(0);
      expect(decodeOptionBytes(family, address, withRdp(layout, raw, 0xbb)).rdpLevel).toBe(1);
    });
  }
});
