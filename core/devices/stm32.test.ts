import { capturedDescriptors as d } from '../testing/fixtures/descriptors.js';
import { parseMemoryLayout } from '../dfuse/memoryLayout.js';
import {
  familyFacts,
  flashSizeRegisterFor,
  guessFamily,
  quirks,
  quirksFor,
  realFlashEnd,
  stm32Families,
  vectorTableProblems,
  type Stm32Family,
} from './stm32.js';

const st = { vendorId: 0x0483, productId: 0xdf11 };

describe('familyFacts', () => {
  it('knows the L0/L1 erased value 0x00 and the rewrite behaviour of each flash kind', () => {
    expect(familyFacts('L0')).toMatchObject({ erasedValue: 0x00, programUnitBytes: 4, rewriteBehaviour: 'keep-old', flashSizeRegister: 0x1ff8007c });
    expect(familyFacts('L1').erasedValue).toBe(0x00);
    expect(familyFacts('F4')).toMatchObject({ erasedValue: 0xff, rewriteBehaviour: 'and', optionBytesAddress: 0x1fffc000, secondOptionBytesAddress: 0x1ffec000 });
    expect(familyFacts('G4')).toMatchObject({ erasedValue: 0xff, programUnitBytes: 8, rewriteBehaviour: 'ecc-error' });
    expect(familyFacts('H7')).toMatchObject({ programUnitBytes: 32, optionBytesAddress: 0x5200201c, optionBytesAreRegisters: true });
  });

  it('has consistent facts for every family', () => {
    for (const family of stm32Families) {
      const facts = familyFacts(family);
      expect(facts.family).toBe(family);
      expect(facts.erasedValue === 0 || facts.erasedValue === 0xff).toBe(true);
      expect(facts.erasedValue === 0).toBe(family === 'L0' || family === 'L1');
      expect(Number.isInteger(Math.log2(facts.programUnitBytes))).toBe(true);
      expect(facts.ramRanges.length).toBeGreaterThan(0);
    }
  });

  it('picks the F_SIZE address of the right line inside a family', () => {
    const f722 = parseMemoryLayout(d.f722Flash.descriptor).region;
    const f405 = parseMemoryLayout(d.f405Flash.descriptor).region;
    const l1 = parseMemoryLayout(d.l1Flash.descriptor).region;
    expect(flashSizeRegisterFor('F7', f722)).toBe(0x1ff07a22);
    expect(flashSizeRegisterFor('F7')).toBe(0x1ff0f442);
    expect(flashSizeRegisterFor('F4', f405)).toBe(0x1fff7a22);
    expect(flashSizeRegisterFor('L1', l1)).toBe(0x1ff800cc);
    expect(flashSizeRegisterFor('L1', parseMemoryLayout('@Internal Flash  /0x08000000/512*256 g').region)).toBe(0x1ff8004c);
  });
});

describe('guessFamily', () => {
  const guess = (names: string[], extra: { bcdDevice?: number; product?: string; vendorId?: number } = {}) =>
    guessFamily({ ...st, bcdDevice: 0x2200, ...extra, alternateNames: names });

  it.each<[string, string[], number, Stm32Family]>([
    ['L07x', [d.l07xFlash.descriptor, d.l07xOptionBytes.descriptor, d.l07xDataMemory.descriptor], 0x2200, 'L0'],
    ['L1', [d.l1Flash.descriptor, d.l1OptionBytes.descriptor, d.l1DataMemory.descriptor], 0x2200, 'L1'],
    ['F405', [d.f405Flash.descriptor, d.f405OptionBytes.descriptor, d.f405Otp.descriptor, d.f405DeviceFeature.descriptor], 0x2200, 'F4'],
    ['F407 old BL', [d.f407Flash.descriptor, d.f407OptionBytes.descriptor, d.f407Otp.descriptor], 0x2100, 'F4'],
    ['F42x', [d.f405Flash.descriptor, d.f42xOptionBytes.descriptor], 0x2200, 'F4'],
    ['F722', [d.f722Flash.descriptor, d.f722OptionBytes.descriptor, d.f722Otp.descriptor], 0x2200, 'F7'],
    ['L4', [d.l4Flash.descriptor, d.l4OptionBytes.descriptor, d.l4Otp.descriptor, d.l4DeviceFeature.descriptor], 0x2200, 'L4'],
    ['G474', [d.g474Flash.descriptor, d.g474OptionBytes.descriptor, d.g474Otp.descriptor], 0x0200, 'G4'],
    ['H743', [d.h743Flash.descriptor, d.h743OptionBytes.descriptor], 0x0200, 'H7'],
    ['U5', [d.u5Flash.descriptor, d.u5OptionBytes.descriptor, d.u5Otp.descriptor], 0x0200, 'U5'],
    ['F072 (zero-padded, 2 KiB pages)', ['@Internal Flash  /0x08000000/064*0002Kg', '@Option Bytes  /0x1FFFF800/01*016 e'], 0x2200, 'F3'],
    ['F042 (1 KiB pages)', ['@Internal Flash  /0x08000000/032*0001Kg', '@Option Bytes  /0x1FFFF800/01*016 e'], 0x2200, 'F0'],
    ['WB55 (OB at 0x1FFF8000, CubeProgrammer log)', ['@Internal Flash   /0x08000000/256*04Kg', '@Option Bytes   /0x1FFF8000/01*128 e'], 0x0200, 'WB'],
    ['F105 (UM0290 widths)', ['@Internal Flash  /0x08000000/128*002Kg', '@Option Bytes  /0x1FFFF800/01*016 e'], 0x2000, 'F1'],
  ])('guesses %s', (_name, names, bcdDevice, family) => {
    const result = guess(names, { bcdDevice });
    expect(result.family).toBe(family);
    expect(result.reason.length).toBeGreaterThan(10);
  });

  it('tells the dual-bank L47x from the G47x although both send two option-byte blocks', () => {
    const l476 = ['@Internal Flash  /0x08000000/0512*0002Kg', '@Option Bytes  /0x1FFF7800/01*040 e/0x1FFFF800/01*040 e', d.l4Otp.descriptor];
    expect(guess(l476, { bcdDevice: 0x2200, product: 'STM32  BOOTLOADER' })).toMatchObject({ family: 'L4', reason: expect.stringMatching(/older BL generation/) });
    // Any one sign of the older generation is enough: the product string, or the zero-padded flash string.
    expect(guess(l476, { bcdDevice: 0x0200, product: 'STM32  BOOTLOADER' }).family).toBe('L4');
    expect(guess(l476, { bcdDevice: 0x0200 }).family).toBe('L4');
    expect(guess([d.g474Flash.descriptor, d.g474OptionBytes.descriptor], { bcdDevice: 0x0200, product: 'DFU in FS Mode' }).family).toBe('G4');
    // 48-byte blocks are G4 whatever else the device says.
    expect(guess([d.g474Flash.descriptor, d.g474OptionBytes.descriptor], { bcdDevice: 0x2200 }).family).toBe('G4');
  });

  it('splits the newer-generation parts at 0x1FFF7800 into G4 (40/48-byte blocks) and G0', () => {
    const newer = { bcdDevice: 0x0200, product: 'DFU in FS Mode' };
    expect(guess(['@Internal Flash   /0x08000000/64*02Kg', d.g431OptionBytes.descriptor], newer).family).toBe('G4');
    expect(guess(['@Internal Flash   /0x08000000/64*02Kg', '@Option Bytes   /0x1FFF7800/01*128 e'], newer).family).toBe('G0');
    expect(guess(['@Internal Flash   /0x08000000/256*02Kg', '@Option Bytes   /0x1FFF7800/01*068 e/0x1FFF7870/01*004 e'], newer).family).toBe('G0');
  });

  it('tells an F07x from an F3 (both 2 KiB pages) by the F0 bootloaders\' serial number', () => {
    const f072 = ['@Internal Flash  /0x08000000/064*0002Kg', '@Option Bytes  /0x1FFFF800/01*016 e'];
    expect(guessFamily({ ...st, bcdDevice: 0x2200, serialNumber: 'FFFFFFFEFFFF', alternateNames: f072 }).family).toBe('F0');
    expect(guessFamily({ ...st, bcdDevice: 0x2200, serialNumber: '205939885533', alternateNames: f072 }).family).toBe('F3');
  });

  it('uses the device ID in old product strings first', () => {
    expect(guess([], { product: 'STM32 0x418 DFU Bootloader' })).toMatchObject({ family: 'F1' });
  });

  it('tells L0 from L1 without a flash string by the data EEPROM size', () => {
    expect(guess([d.l07xOptionBytes.descriptor, d.l07xDataMemory.descriptor]).family).toBe('L0');
  });

  it('does not take the F4 OTP at 0x1FFF7800 for L4 option bytes', () => {
    expect(guess([d.f405Otp.descriptor]).family).toBe('unknown');
  });

  it('refuses to guess for non-ST DfuSe ROMs and unparseable strings', () => {
    expect(guess([d.at32OptionBytes.descriptor], { vendorId: 0x2e3c }).family).toBe('unknown');
    expect(guess(['UNDEFINED', '@Option Bytes']).family).toBe('unknown');
  });
});

describe('quirks', () => {
  it('cites a source for every quirk', () => {
    for (const quirk of quirks) {
      expect(quirk.why).toMatch(/dfu-util|Betaflight|ST community|NuttX|reference/);
      expect(quirk.handling.length).toBeGreaterThan(10);
    }
  });

  it('matches quirks by vendor, product and family', () => {
    const ids = (family: Stm32Family, vendorId = 0x0483) => quirksFor({ vendorId, productId: 0xdf11, bcdDevice: 0x2200, family }).map((q) => q.id);
    expect(ids('L4')).toEqual(['error-state-at-connect', 'stall-when-polled-early']);
    expect(ids('F4')).toEqual(['error-state-at-connect', 'mass-erase-timeout']);
    expect(ids('H7')).toEqual(['error-state-at-connect', 'stuck-busy-after-erase', 'no-status-after-leave', 'descriptor-overstates-flash']);
    expect(ids('L0')).toEqual(['error-state-at-connect', 'descriptor-overstates-flash']);
    expect(ids('unknown', 0x28e9)).toEqual(['no-status-after-leave']);
    expect(quirksFor({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, family: 'F4' })[1]!.params?.massEraseTimeoutMs).toBe(35_000);
  });
});

describe('realFlashEnd', () => {
  const l0 = parseMemoryLayout(d.l07xFlash.descriptor).region;

  it('limits the L072xB to the 128 KiB its F_SIZE register reports', () => {
    const limit = realFlashEnd({ family: 'L0', region: l0, flashSizeRegisterValue: 128 });
    expect(limit).toMatchObject({ end: 0x08020000, isLimited: true, flashSizeBytes: 128 * 1024 });
    expect(limit.warning).toContain('0x08020000');
    expect(limit.warning).toContain('192 KiB');
  });

  it('keeps the descriptor end when F_SIZE agrees or is unusable', () => {
    expect(realFlashEnd({ family: 'L0', region: l0, flashSizeRegisterValue: 192 })).toEqual({ end: 0x08030000, isLimited: false, flashSizeBytes: 192 * 1024 });
    const erased = realFlashEnd({ family: 'L0', region: l0, flashSizeRegisterValue: 0xffff });
    expect(erased).toMatchObject({ end: 0x08030000, isLimited: false });
    expect(erased.warning).toMatch(/not a size/);
  });

  it('notes known overstating descriptors when F_SIZE is not known (a note, not a warning)', () => {
    const limit = realFlashEnd({ family: 'L0', region: l0 });
    expect(limit.warning).toBeUndefined();
    expect(limit.note).toMatch(/^If this is an STM32L072xB\/L082xB \(128 KiB of flash\)/);
    expect(realFlashEnd({ family: 'L1', region: l0 }).note).toBeUndefined();
    expect(realFlashEnd({ family: 'F4', region: parseMemoryLayout(d.f405Flash.descriptor).region })).toEqual({ end: 0x08100000, isLimited: false });
  });
});

describe('vectorTableProblems', () => {
  const flash = { start: 0x08000000, end: 0x08030000 };
  it('accepts the founding image vector table and rejects implausible ones', () => {
    expect(vectorTableProblems('L0', 0x20005000, 0x0800c38d, flash)).toEqual([]);
    expect(vectorTableProblems('L0', 0x20040000, 0x0800c38c, flash)).toHaveLength(2);
    expect(vectorTableProblems('L0', 0x00000000, 0x1000c38d, flash)).toHaveLength(2);
  });
});
