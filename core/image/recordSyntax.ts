// The syntax checks shared by the line-based text formats (Intel HEX, S-record): what may follow a
// record on its line, and why a record is not a complete run of hex digits. The parsers call the
// first once per record and the second only on the error path.

import { HEX_VALUE, describeChar } from './hexDigits.js';

/** The character codes that end a record's line or may stand around a record. */
export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const TAB = 0x09;

/**
 * Why the text after a record that ends at `end` is not allowed (undefined when only spaces, tabs
 * and then a line break or the end of the text follow). `count` is the record's byte count.
 */
export function textAfterRecord(text: string, end: number, lineStart: number, count: number): string | undefined {
  let pos = end;
  while (pos < text.length && (text.charCodeAt(pos) === SPACE || text.charCodeAt(pos) === TAB)) pos++;
  if (pos >= text.length) return undefined;
  const after = text.charCodeAt(pos);
  if (after === LF || after === CR) return undefined;
  return HEX_VALUE[after]! <= 15
    ? `record is longer than its byte count (${count}) says`
    : `unexpected ${describeChar(after)} at column ${pos - lineStart + 1} after the record`;
}

/**
 * Why text[recordStart, end) is not a complete record: the first character from `digitsFrom` on
 * that is missing or not a hex digit. `end` is where the byte count says the record ends.
 */
export function recordSyntaxError(text: string, recordStart: number, digitsFrom: number, end: number, lineStart: number): string {
  for (let pos = digitsFrom; pos < end; pos++) {
    const code = pos < text.length ? text.charCodeAt(pos) : -1;
    if (code >= 0 && HEX_VALUE[code]! <= 15) continue;
    if (code < 0 || code === LF || code === CR || code === SPACE || code === TAB) {
      return `record is cut short: ${pos - recordStart} characters, its byte count needs ${end - recordStart}`;
    }
    return `${describeChar(code)} at column ${pos - lineStart + 1} is not a hex digit`;
  }
  return 'malformed record';
}
