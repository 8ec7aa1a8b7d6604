import fc from 'fast-check';
import { printable } from './printable.js';

describe('printable', () => {
  it('leaves ordinary text, accents and emoji alone', () => {
    for (const text of [
      'Internal Flash',
      '@Option Bytes  /0x1FF80000/01*032 e',
      'Grüße, Ünïcode',
      'rocket 🚀',
      'C:\\fw\\app.hex',
    ]) {
      expect(printable(text)).toBe(text);
    }
  });

  it('shows terminal escape sequences and other controls as escapes', () => {
    expect(printable('evil\x1b]0;owned\x07name')).toBe('evil\\x1b]0;owned\\x07name');
    expect(printable('a\x1b[2J\x1b[Hb')).toBe('a\\x1b[2J\\x1b[Hb');
    expect(printable('tab\tnew\nline\rend\0')).toBe('tab\\tnew\\nline\\rend\\x00');
    expect(printable('del\x7f c1\u009b31m')).toBe('del\\x7f c1\\x9b31m');
  });

  it('shows bidirectional overrides, separators, a BOM and lone surrogates as escapes', () => {
    expect(printable('txt.\u202eexe.hex')).toBe('txt.\\u202eexe.hex');
    expect(printable('\u2066a\u2069\u200f\u2028\ufeff')).toBe('\\u2066a\\u2069\\u200f\\u2028\\ufeff');
    expect(printable('x\ud800y\udc00')).toBe('x\\ud800y\\udc00');
  });

  it('cuts long text without splitting an escape or a surrogate pair', () => {
    expect(printable('abcdefghij', 5)).toBe('abcd…');
    expect(printable('abc\x1bdef', 6)).toBe('abc…');
    expect(printable('ab🚀cd', 4)).toBe('ab…');
    expect(printable('short', 10)).toBe('short');
  });

  it('never lets an ESC, CSI, BEL or bidi control through, and is the identity on safe text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        (text, max) => {
          const out = printable(text, max);
          // eslint-disable-next-line no-control-regex
          expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
          if (max !== undefined) expect(out.length).toBeLessThanOrEqual(Math.max(max, 1));
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abc XYZ-_.:/é'.split('')) }), (text) => {
        expect(printable(text)).toBe(text);
      }),
    );
  });
});
