import { decodeCommand, describeCommand, encodeCommand, erasePageCommand, leaveCommand, massEraseCommand, readUnprotectCommand, setAddressCommand } from './commands.js';

describe('DfuSe commands', () => {
  it('encodes set address as 0x21 + little-endian address (the founding log: 2100000008)', () => {
    expect(Array.from(setAddressCommand(0x08000000))).toEqual([0x21, 0x00, 0x00, 0x00, 0x08]);
    expect(Array.from(setAddressCommand(0x1ff80000))).toEqual([0x21, 0x00, 0x00, 0xf8, 0x1f]);
  });

  it('encodes page erase with an address and mass erase as the single byte 0x41', () => {
    expect(Array.from(erasePageCommand(0x08004000))).toEqual([0x41, 0x00, 0x40, 0x00, 0x08]);
    expect(Array.from(massEraseCommand())).toEqual([0x41]);
    expect(Array.from(readUnprotectCommand())).toEqual([0x92]);
    expect(leaveCommand()).toHaveLength(0);
  });

  it('decodes what it encodes', () => {
    for (const command of [
      { kind: 'set-address', address: 0xfffffffc },
      { kind: 'erase-page', address: 0x08020000 },
      { kind: 'mass-erase' },
      { kind: 'read-unprotect' },
      { kind: 'leave' },
    ] as const) {
      expect(decodeCommand(encodeCommand(command))).toEqual(command);
    }
    expect(decodeCommand(Uint8Array.of(0x21, 1, 2))).toBeUndefined();
    expect(decodeCommand(Uint8Array.of(0x55))).toBeUndefined();
  });

  it('refuses addresses that do not fit in 32 bits', () => {
    expect(() => setAddressCommand(0x1_0000_0000)).toThrowError(/not a 32-bit address/);
    expect(() => erasePageCommand(-1)).toThrowError(/not a 32-bit address/);
  });

  it('describes commands for the log', () => {
    expect(describeCommand({ kind: 'erase-page', address: 0x08000080 })).toBe('erase page 0x08000080');
  });
});
