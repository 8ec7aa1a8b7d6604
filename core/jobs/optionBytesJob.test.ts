import { decodeOptionBytes } from '../dfuse/optionBytes.js';
import { f0FactoryOptionBytes, f4FactoryOptionBytes } from '../simulator/optionBytesModel.js';
import { dfuErrorOf } from '../testing/dfuErrorOf.js';
import { prepareOptionBytesWrite } from './optionBytesJob.js';

/** The F1 block at 0x1FFFF800: value/complement pairs, RDP level 0 is 0xA5 there (PM0075). */
function f1FactoryOptionBytes(): Uint8Array {
  return Uint8Array.from([0xa5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff].flatMap((value) => [value, ~value & 0xff]));
}

describe('prepareOptionBytesWrite: confirmations from what the block becomes, per family', () => {
  it('RDP 0xCC locks an F0 or F4 for good (permanent-lock), but is only level 1 on an F1, which has no level 2', () => {
    const f4 = decodeOptionBytes('F4', 0x1fffc000, f4FactoryOptionBytes());
    expect(prepareOptionBytesWrite([f4], { rdp: 0xcc }).confirmations.map((c) => c.kind)).toEqual(['permanent-lock']);
    const f0 = decodeOptionBytes('F0', 0x1ffff800, f0FactoryOptionBytes());
    expect(prepareOptionBytesWrite([f0], { rdp: 0xcc }).confirmations.map((c) => c.kind)).toEqual(['permanent-lock']);
    const f1 = decodeOptionBytes('F1', 0x1ffff800, f1FactoryOptionBytes());
    expect(f1.rdpLevel).toBe(0);
    const plan = prepareOptionBytesWrite([f1], { rdp: 0xcc });
    expect(plan.after.rdpLevel).toBe(1);
    expect(plan.confirmations).toEqual([]);
  });

  it('lowering RDP from level 1 to 0 needs read-unprotect (it mass-erases the flash); raising it needs nothing', () => {
    const level1 = f4FactoryOptionBytes().slice();
    level1[1] = 0x55;
    const f4 = decodeOptionBytes('F4', 0x1fffc000, level1);
    expect(prepareOptionBytesWrite([f4], { rdp: 0xaa }).confirmations.map((c) => c.kind)).toEqual(['read-unprotect']);
    const level0 = decodeOptionBytes('F4', 0x1fffc000, f4FactoryOptionBytes());
    expect(prepareOptionBytesWrite([level0], { rdp: 0x55 }).confirmations).toEqual([]);
  });

  it('names an unknown field and lists the editable ones; lists only the fields that change', () => {
    const f4 = decodeOptionBytes('F4', 0x1fffc000, f4FactoryOptionBytes());
    expect(dfuErrorOf(() => prepareOptionBytesWrite([f4], { nosuch: 1 })).info).toMatchObject({ kind: 'invalid-argument', argument: 'changes', reason: expect.stringContaining('no option-byte field "nosuch"') });
    const rdp = f4.fields.find((f) => f.id === 'rdp')!;
    expect(prepareOptionBytesWrite([f4], { rdp: rdp.value }).changes).toEqual([]);
  });
});
