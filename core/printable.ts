// Text that came from a file or a device (a .dfu target name, an S-record header, an ELF section
// name, a USB string, a file name) made safe to print on a terminal or in a log line. Such text may
// hold escape sequences that move the cursor, rewrite earlier lines, change the window title or
// hide what follows, and bidirectional controls that reorder what the reader sees. Each such
// character is shown as an escape (\x1b, \u202e) instead; everything else is left as it was.

/**
 * C0 controls, DEL, C1 controls (a terminal may read U+009B as CSI), the bidirectional embeddings,
 * overrides, isolates and marks, the line and paragraph separators, the byte-order mark and lone
 * surrogate halves.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control or reordering character replaced by a visible escape. With
 * `maxLength`, the result is cut to at most that many characters (escapes included), ending in "…".
 */
export function printable(text: string, maxLength?: number): string {
  const escaped = text.replace(UNSAFE, escapeOne);
  if (maxLength === undefined || escaped.length <= maxLength) return escaped;
  let cut = Math.max(0, maxLength - 1);
  // Never split a surrogate pair or an escape that was just produced.
  if (cut > 0 && /[\ud800-\udbff]/.test(escaped.charAt(cut - 1))) cut--;
  const tail = escaped.slice(Math.max(0, cut - 5), cut);
  const partial = /\\(x[0-9a-f]?|u[0-9a-f]{0,3}|)$/.exec(tail);
  if (partial) cut -= partial[0].length;
  return `${escaped.slice(0, cut)}…`;
}

/**
 * Multi-line text for a terminal: each line made printable, the line breaks kept. What the CLI's
 * human output does to every line it prints, so a device's or file's string (a region or target name,
 * a serial number) cannot drive the terminal, whichever path it took to the output.
 */
export function printableLines(text: string): string {
  return text.split('\n').map((line) => printable(line)).join('\n');
}
