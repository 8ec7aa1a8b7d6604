import fc from 'fast-check';
import { methodNames } from './programmer.js';
import { argumentValidators, MAX_IMAGE_BYTES, validateArguments } from './validation.js';
import { isDfuError } from '../errors.js';
import { dfuErrorOf } from '../testing/dfuErrorOf.js';


const program = { erase: 'touched', verify: true };
const l0Key = '0483:df11:2200:@Internal Flash  /0x08000000/1536*128 g';

describe('argumentValidators', () => {
  it('has exactly one validator per contract method', () => {
    expect(Object.keys(argumentValidators).sort()).toEqual([...methodNames].sort());
  });

  it('accepts the forms the renderer sends', () => {
    expect(validateArguments('connect', ['sim:1'])).toEqual(['sim:1']);
    expect(validateArguments('getSnapshot', [])).toEqual([]);
    expect(validateArguments('openImage', [{ kind: 'dialog' }])).toEqual([{ kind: 'dialog' }]);
    expect(validateArguments('openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef', baseAddress: 0x0800_0000, format: 'binary' }])).toEqual([
      { kind: 'file', token: '0123456789abcdef0123456789abcdef', baseAddress: 0x0800_0000, format: 'binary' },
    ]);
    expect(validateArguments('openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef' }])).toEqual([{ kind: 'file', token: '0123456789abcdef0123456789abcdef' }]);
    expect(validateArguments('program', [{ options: { ...program, differential: true } }])).toEqual([{ options: { ...program, differential: true } }]);
    expect(validateArguments('program', [{ options: { ...program, flashSizeBytes: 128 * 1024 } }])).toEqual([{ options: { ...program, flashSizeBytes: 128 * 1024 } }]);
    // Every ProgramOptions field the type allows is accepted (massEraseWhenFaster once was not).
    expect(validateArguments('program', [{ options: { ...program, massEraseWhenFaster: false, skipErasedChunks: false, leave: true, preserve: true } }])).toEqual([
      { options: { ...program, massEraseWhenFaster: false, skipErasedChunks: false, leave: true, preserve: true } },
    ]);
    expect(validateArguments('program', [{ options: program, confirmed: ['write-otp', 'permanent-lock'] }])).toEqual([{ options: program, confirmed: ['write-otp', 'permanent-lock'] }]);
    expect(validateArguments('planOptionBytesWrite', [{ rdp: 0xcc }])).toEqual([{ rdp: 0xcc }]);
    expect(validateArguments('writeOptionBytes', [{ changes: { rdp: 0xcc }, confirmed: ['permanent-lock'] }])).toEqual([{ changes: { rdp: 0xcc }, confirmed: ['permanent-lock'] }]);
    expect(validateArguments('updateSettings', [{ programOptions: { ...program, flashSizeBytes: undefined } }])).toEqual([{ programOptions: program }]);
    expect(validateArguments('readMemory', [{ alternate: 0, start: 0x0800_0000, length: 1024 }])).toEqual([
      { alternate: 0, start: 0x0800_0000, length: 1024 },
    ]);
    expect(validateArguments('erase', [{ kind: 'mass' }])).toEqual([{ kind: 'mass' }]);
    expect(validateArguments('erase', [{ kind: 'range', alternate: 0, start: 0x0800_0000, length: 128 }])).toEqual([
      { kind: 'range', alternate: 0, start: 0x0800_0000, length: 128 },
    ]);
    expect(validateArguments('writeOptionBytes', [{ changes: { RDP: 0xaa } }])).toEqual([{ changes: { RDP: 0xaa } }]);
    expect(validateArguments('readUnprotect', [{ eraseAllFlash: true }])).toEqual([{ eraseAllFlash: true }]);
    expect(validateArguments('leave', [])).toEqual([]);
    expect(validateArguments('leave', [undefined])).toEqual([]);
    expect(validateArguments('leave', [0x0800_0000])).toEqual([0x0800_0000]);
    expect(validateArguments('saveReadBack', ['dfu'])).toEqual(['dfu']);
    for (const format of ['hex', 'srec', 'bin', 'dfu']) expect(validateArguments('saveImageAs', [format])).toEqual([format]);
    expect(validateArguments('readVerifyBytes', [{ start: 0x0800_0000, end: 0x0801_0000 }])).toEqual([{ start: 0x0800_0000, end: 0x0801_0000 }]);
    expect(validateArguments('readVerifyBytes', [{ start: 0xffff_fff0, end: 0x1_0000_0000 }])).toEqual([{ start: 0xffff_fff0, end: 0x1_0000_0000 }]);
    expect(validateArguments('updateSettings', [{ flashSizeLimits: { [l0Key]: 128 * 1024 } }])).toEqual([{ flashSizeLimits: { [l0Key]: 128 * 1024 } }]);
    expect(validateArguments('updateSettings', [{ flashSizeLimits: {} }])).toEqual([{ flashSizeLimits: {} }]);
    expect(validateArguments('updateSettings', [{ flashOnConnect: true }])).toEqual([{ flashOnConnect: true }]);
  });

  it('copies dropped bytes instead of keeping the caller buffer', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const [source] = validateArguments('openImage', [{ kind: 'bytes', fileName: 'a.bin', bytes, baseAddress: 0x0800_0000 }]);
    if (source.kind !== 'bytes') throw new Error('wrong kind');
    bytes[0] = 9;
    expect([...source.bytes]).toEqual([1, 2, 3]);
    expect(source.baseAddress).toBe(0x0800_0000);
  });

  it.each([
    ['connect', [], 'arguments'],
    ['connect', [42], 'deviceId'],
    ['connect', [''], 'deviceId'],
    ['connect', ['a', 'b'], 'arguments'],
    ['getSnapshot', ['extra'], 'arguments'],
    ['openImage', [{ kind: 'url', url: 'https://example.com' }], 'source.kind'],
    // Files are named by tokens main granted, never by path.
    ['openImage', [{ kind: 'path', path: '/etc/passwd' }], 'source.kind'],
    ['openImage', [{ kind: 'file', token: '/etc/passwd' }], 'source.token'],
    ['openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef', path: '/etc/passwd' }], 'source.path'],
    ['updateSettings', [{ recentFiles: ['/etc/passwd'] }], 'patch.recentFiles'],
    ['openImage', [{ kind: 'bytes', fileName: 'a.bin', bytes: [1, 2] }], 'source.bytes'],
    ['openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef', baseAddress: -1 }], 'source.baseAddress'],
    ['openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef', format: 'intel-hex' }], 'source.format'],
    ['openImage', [{ kind: 'dialog', format: 'binary' }], 'source.format'],
    ['program', [{ options: { erase: 'all', verify: true } }], 'request.options.erase'],
    ['program', [{ options: { erase: 'mass' } }], 'request.options.verify'],
    ['program', [{ options: { ...program, differential: 'yes' } }], 'request.options.differential'],
    ['program', [{ options: { ...program, flashSizeBytes: '128K' } }], 'request.options.flashSizeBytes'],
    ['program', [{ options: { ...program, flashSizeBytes: 512 } }], 'request.options.flashSizeBytes'],
    ['program', [{ options: { ...program, flashSizeBytes: 0x1_0000_0001 } }], 'request.options.flashSizeBytes'],
    ['program', [program], 'request.options'],
    ['program', [{ options: program, confirmed: ['everything'] }], 'request.confirmed[0]'],
    ['program', [{ options: program, confirmed: 'write-otp' }], 'request.confirmed'],
    ['planOptionBytesWrite', [{ 'RDP level': 1 }], 'changes'],
    ['planProgram', [null], 'options'],
    ['planProgram', [[program]], 'options'],
    ['readMemory', [{ alternate: 0, start: 0x0800_0000, length: 0 }], 'request.length'],
    ['readMemory', [{ alternate: 0, start: 0xffff_ff00, length: 0x200 }], 'request.length'],
    ['readMemory', [{ alternate: 256, start: 0, length: 4 }], 'request.alternate'],
    ['readMemory', [{ alternate: 0, start: 1.5, length: 4 }], 'request.start'],
    ['erase', [{ kind: 'range', alternate: 0, start: 0 }], 'request.length'],
    ['erase', [{ kind: 'everything' }], 'request.kind'],
    ['saveReadBack', ['exe'], 'format'],
    ['saveImageAs', ['elf'], 'format'],
    ['saveImageAs', [{ format: 'hex' }], 'format'],
    ['saveImageAs', [undefined], 'format'],
    ['saveImageAs', ['hex', 'bin'], 'arguments'],
    ['readVerifyBytes', [{ start: 0x0800_0000, end: 0x0801_0001 }], 'range'],
    ['readVerifyBytes', [{ start: 0x0800_0010, end: 0x0800_0010 }], 'range.end'],
    ['readVerifyBytes', [{ start: 0x0800_0000, end: 0x1_0000_0001 }], 'range.end'],
    ['readVerifyBytes', [{ start: -16, end: 16 }], 'range.start'],
    ['readVerifyBytes', [{ start: 0, end: 16, length: 16 }], 'range.length'],
    ['readVerifyBytes', [[0, 16]], 'range'],
    ['writeOptionBytes', [{ changes: JSON.parse('{"__proto__": 1}') as unknown }], 'request.changes'],
    ['writeOptionBytes', [{ changes: { 'RDP level': 1 } }], 'request.changes'],
    ['writeOptionBytes', [{ changes: { RDP: -1 } }], 'request.changes.RDP'],
    ['writeOptionBytes', [{ changes: { RDP: 0xcc }, permanentlyLockChip: true }], 'request.permanentlyLockChip'],
    ['writeOptionBytes', [{ changes: { RDP: 0xcc }, confirmed: [true] }], 'request.confirmed[0]'],
    ['leave', ['0x08000000'], 'address'],
    ['updateSettings', [{ recentFiles: 'a' }], 'patch.recentFiles'],
    ['updateSettings', [{ theme: 'dark' }], 'patch.theme'],
    ['updateSettings', [{ programOptions: { erase: 'none' } }], 'patch.programOptions.verify'],
    ['updateSettings', [{ programOptions: { ...program, flashSizeBytes: 128 * 1024 } }], 'patch.programOptions.flashSizeBytes'],
    ['updateSettings', [{ flashSizeLimits: [128 * 1024] }], 'patch.flashSizeLimits'],
    ['updateSettings', [{ flashSizeLimits: { [l0Key]: '128K' } }], `patch.flashSizeLimits[${JSON.stringify(l0Key)}]`],
    ['updateSettings', [{ flashSizeLimits: { [l0Key]: 512 } }], `patch.flashSizeLimits[${JSON.stringify(l0Key)}]`],
    ['updateSettings', [{ flashSizeLimits: { [l0Key]: 0x1_0000_0001 } }], `patch.flashSizeLimits[${JSON.stringify(l0Key)}]`],
    // A key that is not a bootloader key is named in the reason; the argument is the record.
    ['updateSettings', [{ flashSizeLimits: { 'STM32L072xB': 128 * 1024 } }], 'patch.flashSizeLimits'],
    ['updateSettings', [{ flashSizeLimits: JSON.parse('{"__proto__": 131072}') as unknown }], 'patch.flashSizeLimits'],
    ['updateSettings', [{ flashSizeLimits: { [`0483:df11:2200:${'x'.repeat(5000)}`]: 128 * 1024 } }], 'patch.flashSizeLimits'],
    [
      'updateSettings',
      [{ flashSizeLimits: Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`0483:df11:${index.toString(16).padStart(4, '0')}:@a`, 128 * 1024])) }],
      'patch.flashSizeLimits',
    ],
  ] as const)('rejects %s(%j) naming %s', (method, args, argument) => {
    const error = dfuErrorOf(() => validateArguments(method, args));
    expect(error.info).toMatchObject({ kind: 'invalid-argument', argument });
  });

  it('names the bad key of a keyed record in its reason', () => {
    expect(dfuErrorOf(() => validateArguments('updateSettings', [{ flashSizeLimits: { STM32L072xB: 128 * 1024 } }])).info).toMatchObject({
      argument: 'patch.flashSizeLimits',
      reason: expect.stringContaining('"STM32L072xB" is not a bootloader key'),
    });
    expect(dfuErrorOf(() => validateArguments('writeOptionBytes', [{ changes: { 'RDP level': 1 } }])).info).toMatchObject({ reason: '"RDP level" is not a field id' });
    expect(dfuErrorOf(() => validateArguments('updateSettings', [{ theme: 'dark' }])).info).toMatchObject({ argument: 'patch.theme', reason: 'unknown field' });
  });

  it('accepts every field of every request type (the types are derived from the schemas)', () => {
    const everyOption = { erase: 'mass', verify: false, differential: true, preserve: true, skipErasedChunks: false, skipBlankSectors: false, leave: true, massEraseWhenFaster: false, flashSizeBytes: 128 * 1024 };
    const request = { options: everyOption, confirmed: ['permanent-lock', 'read-unprotect', 'write-option-bytes', 'write-otp', 'file-for-other-device'] };
    expect(validateArguments('program', [request])).toEqual([request]);
    expect(validateArguments('planProgram', [everyOption])).toEqual([everyOption]);
    const patch = {
      showSimulatedDevices: true,
      flashOnConnect: false,
      programOptions: { erase: 'touched', verify: true, differential: false, preserve: false, skipErasedChunks: true, skipBlankSectors: true, leave: false, massEraseWhenFaster: true },
      flashSizeLimits: { [l0Key]: 128 * 1024 },
    };
    expect(validateArguments('updateSettings', [patch])).toEqual([patch]);
    expect(validateArguments('openImage', [{ kind: 'file', token: '0123456789abcdef0123456789abcdef', baseAddress: 0x0800_4000 }])).toEqual([{ kind: 'file', token: '0123456789abcdef0123456789abcdef', baseAddress: 0x0800_4000 }]);
    expect(validateArguments('erase', [{ kind: 'mass', alternate: 0 }])).toEqual([{ kind: 'mass', alternate: 0 }]);
    expect(validateArguments('writeOptionBytes', [{ changes: { rdp: 0xaa, nBOOT0: 1 }, confirmed: ['read-unprotect'] }])).toEqual([{ changes: { rdp: 0xaa, nBOOT0: 1 }, confirmed: ['read-unprotect'] }]);
  });

  it('refuses objects with a foreign prototype', () => {
    class Sneaky {
      kind = 'dialog';
    }
    expect(dfuErrorOf(() => validateArguments('openImage', [new Sneaky()])).info).toMatchObject({ argument: 'source' });
  });

  it('refuses oversized byte buffers', () => {
    const bytes = new Uint8Array(MAX_IMAGE_BYTES + 1);
    expect(dfuErrorOf(() => validateArguments('openImage', [{ kind: 'bytes', fileName: 'big.bin', bytes }])).info).toMatchObject({
      argument: 'source.bytes',
    });
  });

  it('asks for the explicit confirmation before read unprotect', () => {
    expect(dfuErrorOf(() => validateArguments('readUnprotect', [{ eraseAllFlash: false }])).info).toMatchObject({
      kind: 'confirmation-required',
      action: 'read-unprotect',
    });
  });

  it('rejects unknown methods', () => {
    expect(dfuErrorOf(() => validateArguments('toString' as never, [])).info).toMatchObject({ argument: 'method' });
  });

  it('throws only DfuError for arbitrary input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...methodNames), fc.array(fc.anything(), { maxLength: 3 }), (method, args) => {
        try {
          validateArguments(method, args);
        } catch (error) {
          expect(isDfuError(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
