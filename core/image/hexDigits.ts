// Hex-digit decoding shared by the text formats (Intel HEX, S-record). Indexed by UTF-16 code
// unit, so a lookup never goes out of bounds: charCodeAt() is always below 0x10000.

/** Digit value 0..15, or 0xFF for anything that is not a hex digit. */
export const HEX_VALUE: Uint8Array = (() => {
  const table = new Uint8Array(0x10000).fill(0xff);
  for (let digit = 0; digit < 10; digit++) table[0x30 + digit] = digit;
  for (let digit = 0; digit < 6; digit++) {
    table[0x41 + digit] = 10 + digit;
    table[0x61 + digit] = 10 + digit;
  }
  return table;
})();

const UPPER_DIGITS = '0123456789ABCDEF';

/** ASCII codes of "00".."FF" (upper case), two per byte value, for the writers. */
export const HEX_PAIR_CODES: Uint8Array = (() => {
  const table = new Uint8Array(512);
  for (let value = 0; value < 256; value++) {
    table[value * 2] = UPPER_DIGITS.charCodeAt(value >> 4);
    table[value * 2 + 1] = UPPER_DIGITS.charCodeAt(value & 15);
  }
  return table;
})();

/** Column (1-based) of the first non-hex character in text[from, to), or undefined. */
export function firstNonHexColumn(text: string, lineStart: number, from: number, to: number): number | undefined {
  for (let pos = from; pos < to; pos++) {
    if (HEX_VALUE[text.charCodeAt(pos)]! > 15) return pos - lineStart + 1;
  }
  return undefined;
}

/** A character for an error message: printable ASCII as is, anything else as U+XXXX. */
export function describeChar(code: number): string {
  if (code >= 0x21 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  if (code === 0x20) return 'a space';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
