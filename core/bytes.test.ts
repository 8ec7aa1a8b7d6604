import { crc32, crc32Update, parseAddress, parseByteCount, readU32LE, u32LE } from './bytes.js';
import { formatAddress } from './format.js';

describe('bytes', () => {
  it('formats addresses as 0x-prefixed 8-digit upper-case hex', () => {
    expect(formatAddress(0x8004000)).toBe('0x08004000');
    expect(formatAddress(0xffffffff)).toBe('0xFFFFFFFF');
  });

  it('parses hex and decimal addresses and rejects the rest', () => {
    expect(parseAddress('0x08000000')).toBe(0x08000000);
    expect(parseAddress('4096')).toBe(4096);
    expect(parseAddress('0x1_0000')).toBeUndefined();
    expect(parseAddress('0x100000000')).toBeUndefined();
    expect(parseAddress('')).toBeUndefined();
  });

  it('round-trips little-endian words', () => {
    expect(readU32LE(u32LE(0x0800c38d), 0)).toBe(0x0800c38d);
  });

  it('computes the zlib CRC-32 and the raw DfuSe form', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Update(0xffffffff, data)).toBe(~0xcbf43926 >>> 0);
  });
});

describe('parseByteCount', () => {
  it('reads the lengths people write, K and M binary', () => {
    expect(['65536', '0x10000', '64K', '64k', '64 KiB', '2M', '1MB'].map(parseByteCount)).toEqual([65536, 65536, 65536, 65536, 65536, 2 * 1024 * 1024, 1024 * 1024]);
  });

  it('refuses zero, garbage, other units and more than 4 GiB', () => {
    for (const text of ['0', '', 'K', '64Q', '-1', '1.5K', '4097M', '64 K B']) expect(parseByteCount(text), text).toBeUndefined();
  });
});
