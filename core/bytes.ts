// Little-endian access, CRC-32 and byte arrays: the byte-level vocabulary shared by core.
// (How numbers are written for people is core/format.ts.)


export function readU16LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

export function readU24LE(bytes: Uint8Array, offset: number): number {
  return readU16LE(bytes, offset) | ((bytes[offset + 2] ?? 0) << 16);
}

export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (readU16LE(bytes, offset) | (readU16LE(bytes, offset + 2) << 16)) >>> 0;
}

export function writeU16LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}

export function writeU32LE(bytes: Uint8Array, offset: number, value: number): void {
  writeU16LE(bytes, offset, value & 0xffff);
  writeU16LE(bytes, offset + 2, (value >>> 16) & 0xffff);
}

export function u32LE(value: number): Uint8Array {
  const out = new Uint8Array(4);
  writeU32LE(out, 0, value);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses "0x08000000", "08000000h" is not accepted; decimal is. Returns undefined when invalid. */
export function parseAddress(text: string): number | undefined {
  const trimmed = text.trim();
  const value = /^0x[0-9a-f]{1,8}$/i.test(trimmed)
    ? Number.parseInt(trimmed.slice(2), 16)
    : /^[0-9]{1,10}$/.test(trimmed)
      ? Number.parseInt(trimmed, 10)
      : Number.NaN;
  return Number.isSafeInteger(value) && value >= 0 && value <= 0xffffffff ? value : undefined;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, KB: 1024, KIB: 1024, M: 1024 * 1024, MB: 1024 * 1024, MIB: 1024 * 1024 };

/**
 * A byte count as people write them: "66748", "0x10000", "64K", "2M", "128 KiB" (K and M are
 * binary, as in DfuSe layouts). Undefined for anything else, zero, or more than 4 GiB. One parser
 * for the CLI's --length and --flash-size and the app's read-back form.
 */
export function parseByteCount(text: string): number | undefined {
  const match = /^\s*(0x[0-9a-f]+|[0-9]+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toUpperCase()];
  const base = match ? parseAddress(match[1]!) : undefined;
  const value = base !== undefined && unit !== undefined ? base * unit : Number.NaN;
  return Number.isSafeInteger(value) && value > 0 && value <= 0x1_0000_0000 ? value : undefined;
}

/**
 * Running reflected CRC-32 (polynomial 0xEDB88320) without the final XOR. Start with 0xFFFFFFFF.
 * The DfuSe suffix stores exactly this raw value; zlib's CRC-32 is its complement (crc32()).
 */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return c >>> 0;
}

/** The common (zlib, PNG, Ethernet) CRC-32. */
export function crc32(bytes: Uint8Array): number {
  return ~crc32Update(0xffffffff, bytes) >>> 0;
}
