// File names built from what a device says about itself (its USB serial string, product name)
// must be safe on every OS: a serial is up to 126 characters of whatever the firmware put there,
// and "../../.bashrc", "CON", "a:b" or a name ending in a dot would escape the folder, hit a
// Windows device name, or be silently changed by the file system.

/** Characters no file name may hold on Windows, macOS or Linux (path separators, NTFS/FAT reserved, controls). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[<>:"/\\|?*\u0000-\u001f\u007f]+/g;
/** Windows device names, reserved with any extension (CON, CON.txt, com1.hex...). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const MAX_PART_LENGTH = 64;

/**
 * `text` as one part of a file name: unsafe characters become "_", no leading dot or dash (hidden
 * file, option-like), no trailing dot or space (Windows drops them), not a reserved device name,
 * at most 64 characters; `fallback` when nothing is left.
 */
export function safeFileNamePart(text: string | undefined, fallback: string): string {
  let part = (text ?? '').normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim();
  part = part.replace(/^[.\-\s]+/, '').replace(/[.\s]+$/, '');
  if (part.length > MAX_PART_LENGTH) part = part.slice(0, MAX_PART_LENGTH).replace(/[.\s]+$/, '');
  if (part === '' || /^_+$/.test(part)) return fallback;
  return RESERVED.test(part) ? `_${part}` : part;
}
