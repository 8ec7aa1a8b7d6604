import fc from 'fast-check';
import { safeFileNamePart } from './fileNames.js';

describe('safeFileNamePart', () => {
  it('keeps ordinary serials as they are', () => {
    expect(safeFileNamePart('357A36563130', 'device')).toBe('357A36563130');
    expect(safeFileNamePart('FFFFFFFEFFFF', 'device')).toBe('FFFFFFFEFFFF');
    expect(safeFileNamePart('Board 7', 'device')).toBe('Board 7');
  });

  it('takes apart names that would escape the folder or that an OS refuses', () => {
    expect(safeFileNamePart('../../.bashrc', 'device')).toBe('_.._.bashrc');
    expect(safeFileNamePart('/etc/passwd', 'device')).toBe('_etc_passwd');
    expect(safeFileNamePart('a\\b:c*d?e"f<g>h|i', 'device')).toBe('a_b_c_d_e_f_g_h_i');
    expect(safeFileNamePart('CON', 'device')).toBe('_CON');
    expect(safeFileNamePart('com1.hex', 'device')).toBe('_com1.hex');
    expect(safeFileNamePart('serial. . ', 'device')).toBe('serial');
    expect(safeFileNamePart('-rf', 'device')).toBe('rf');
    expect(safeFileNamePart('line\nbreak\u0000nul', 'device')).toBe('line_break_nul');
    expect(safeFileNamePart('x'.repeat(126), 'device')).toHaveLength(64);
  });

  it('falls back when nothing usable is left', () => {
    for (const text of [undefined, '', '   ', '...', '///', '\u0000\u0001']) expect(safeFileNamePart(text, 'device')).toBe('device');
  });

  it('never returns a separator, a control character, a leading dot or a trailing dot or space', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const part = safeFileNamePart(text, 'device');
        // eslint-disable-next-line no-control-regex -- control characters are what it must not contain
        expect(part).not.toMatch(/[<>:"/\\|?*\u0000-\u001f\u007f]/);
        expect(part).not.toMatch(/^[.\-\s]|[.\s]$/);
        expect(part.length).toBeGreaterThan(0);
        expect(part.length).toBeLessThanOrEqual(65);
        expect(part).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i);
      }),
    );
  });
});
