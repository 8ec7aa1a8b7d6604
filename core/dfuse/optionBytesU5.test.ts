// The STM32U5 option registers (the 64-byte "Option Bytes" alt at 0x40022040): the simulator's
// factory image decodes with the table, a change round-trips, and every lock-out guard asks first.
import { checkConfirmed } from '../jobs/confirmations.js';
import { prepareOptionBytesWrite } from '../jobs/optionBytesJob.js';
import { u5FactoryOptionBytes } from '../simulator/optionBytesModel.js';
import { decodeOptionBytes, encodeOptionBytes, lockoutRisks, type DecodedOptionBytes } from './optionBytes.js';

const U5 = 0x40022040;
const valuesOf = (block: DecodedOptionBytes) => Object.fromEntries(block.fields.map((f) => [f.id, f.value]));
const word = (raw: Uint8Array, offset: number) => new DataView(raw.buffer, raw.byteOffset).getUint32(offset, true);

describe('STM32U5 option registers', () => {
  const factory = decodeOptionBytes('U5', U5, u5FactoryOptionBytes());

  it('decode the simulator factory image: RDP level 0, pin-selected boot, flash and bootloader boot addresses, nothing protected', () => {
    expect(factory.layout).toBe('STM32U5 option registers');
    expect(factory.warnings).toEqual([]);
    expect(factory.hasRdp).toBe(true);
    expect(factory.rdpLevel).toBe(0);
    expect(valuesOf(factory)).toMatchObject({
      rdp: 0xaa, bor_lev: 0, nrst_stop: 1, nrst_stdby: 1, nrst_shdw: 1, iwdg_sw: 1, iwdg_stop: 1, iwdg_stdby: 1, wwdg_sw: 1,
      swap_bank: 0, dualbank: 1, nswboot0: 1, nboot0: 1, tzen: 0,
      nsbootadd0: 0x0800_0000 / 0x80, nsbootadd1: 0x0bf9_0000 / 0x80, boot_lock: 0,
    });
    const meaning = (id: string) => factory.fields.find((f) => f.id === id)!.meaning;
    expect(meaning('nsbootadd0')).toBe('boots from 0x08000000 (main flash)');
    expect(meaning('nsbootadd1')).toBe('boots from 0x0BF90000 (the system bootloader, DFU)');
    expect(factory.fields.find((f) => f.id === 'tzen')!.location).toBe('0x40022040 bit 31');
    expect(factory.fields.find((f) => f.id === 'wrp1a_strt')!.location).toBe('0x40022058 bits 6:0');
    expect(factory.fields.find((f) => f.id === 'wrp2b_unlock')!.location).toBe('0x4002206C bit 31');
    // start above end: no area protects anything
    for (const area of ['1a', '1b', '2a', '2b']) {
      expect(valuesOf(factory)[`wrp${area}_strt`]).toBeGreaterThan(valuesOf(factory)[`wrp${area}_end`]!);
    }
    expect(lockoutRisks(factory)).toEqual([]);
  });

  it('encode a change into the register bits and decode it back, keeping every other bit', () => {
    const raw = encodeOptionBytes(factory, { bor_lev: 4, iwdg_sw: 0, wrp1a_strt: 2, wrp1a_end: 5, nsbootadd0: 0x0801_0000 / 0x80 });
    expect(word(raw, 0)).toBe(((word(factory.raw, 0) & ~0x0001_0700) | 0x0400) >>> 0);
    expect(word(raw, 4)).toBe((0x0801_0000 | (word(factory.raw, 4) & 0x7f)) >>> 0);
    expect(word(raw, 0x18)).toBe(((word(factory.raw, 0x18) & ~0x007f_007f) | 0x0005_0002) >>> 0);
    expect(Array.from(raw.slice(0x1c))).toEqual(Array.from(factory.raw.slice(0x1c)));
    const back = decodeOptionBytes('U5', U5, raw);
    expect(valuesOf(back)).toMatchObject({ bor_lev: 4, iwdg_sw: 0, wrp1a_strt: 2, wrp1a_end: 5, nsbootadd0: 0x0801_0000 / 0x80, rdp: 0xaa });
    expect(back.fields.find((f) => f.id === 'bor_lev')!.meaning).toBe('BOR level 4 (~2.8 V)');
  });

  it('show RDP 0x55 as level 0.5 and count it as not level 0 (lowering it asks for the erase confirmation)', () => {
    const raw = u5FactoryOptionBytes();
    raw[0] = 0x55;
    const half = decodeOptionBytes('U5', U5, raw);
    expect(half.rdpLevel).toBe(1);
    expect(half.fields.find((f) => f.id === 'rdp')!.meaning).toMatch(/^Level 0\.5/);
    expect(() => encodeOptionBytes(half, { rdp: 0xaa })).toThrow(expect.objectContaining({ info: expect.objectContaining({ action: 'read-unprotect' }) }));
    expect(() => encodeOptionBytes(factory, { rdp: 0xcc })).toThrow(expect.objectContaining({ info: expect.objectContaining({ action: 'permanent-lock' }) }));
  });

  const dangerous: readonly [string, Record<string, number>, RegExp][] = [
    ['boot pin ignored with nBOOT0 = 1', { nswboot0: 0 }, /nSWBOOT0 = 0 ignores the BOOT0 pin/],
    ['TrustZone enabled', { tzen: 1 }, /TZEN = 1 turns TrustZone on/],
    ['BOOT0-high address away from the bootloader', { nsbootadd1: 0x0800_0000 / 0x80 }, /NSBOOTADD1 = 0x08000000/],
    ['BOOT0-low address changed', { nsbootadd0: 0x2000_0000 / 0x80 }, /NSBOOTADD0 = 0x20000000/],
    ['bank 1 pages write-protected', { wrp1b_strt: 0, wrp1b_end: 0 }, /WRP1B write-protects pages 0-0/],
    ['bank 2 pages write-protected', { wrp2a_strt: 10, wrp2a_end: 20 }, /WRP2A write-protects pages 10-20/],
    ['a WRP area locked', { wrp2b_unlock: 0 }, /WRP2BR UNLOCK = 0/],
  ];
  for (const [what, changes, consequence] of dangerous) {
    it(`refuse without the lock-out confirmation: ${what}`, () => {
      const plan = prepareOptionBytesWrite([factory], changes);
      const lockout = plan.confirmations.find((c) => c.kind === 'option-lockout');
      expect(lockout?.consequence).toMatch(consequence);
      expect(() => checkConfirmed(plan.confirmations, [])).toThrow(expect.objectContaining({ info: expect.objectContaining({ kind: 'confirmation-required', action: 'option-lockout' }) }));
      expect(() => checkConfirmed(plan.confirmations, plan.confirmations.map((c) => c.kind))).not.toThrow();
    });
  }

  it('ask nothing for a harmless change, and nothing again for a setting the chip already has', () => {
    expect(prepareOptionBytesWrite([factory], { iwdg_sw: 0, bor_lev: 2 }).confirmations).toEqual([]);
    const moved = decodeOptionBytes('U5', U5, encodeOptionBytes(factory, { nsbootadd0: 0x0802_0000 / 0x80 }));
    expect(prepareOptionBytesWrite([moved], { iwdg_sw: 0 }).confirmations).toEqual([]);
    // A raw block from a file: a boot address inside flash is fine, outside flash and system memory is not.
    expect(lockoutRisks(moved)).toEqual([]);
    const nowhere = decodeOptionBytes('U5', U5, encodeOptionBytes(factory, { nsbootadd0: 0x6000_0000 / 0x80 }));
    expect(lockoutRisks(nowhere).map((risk) => risk.fields)).toEqual([['nsbootadd0']]);
  });

  it('keep Secure boot address and BOOT_LOCK read-only', () => {
    expect(() => encodeOptionBytes(factory, { boot_lock: 1 })).toThrow(/cannot be changed from here/);
    expect(() => encodeOptionBytes(factory, { secbootadd0: 0x0800_0000 / 0x80 })).toThrow(/cannot be changed from here/);
  });
});
