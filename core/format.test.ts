import { formatAddress, formatBcd, formatByteCount, formatCount, formatCrc, formatDuration, formatEta, formatRate, formatSize, formatUsbId, remainingMs, transferRate } from './format.js';

describe('format: one way to write each kind of number', () => {
  it('sizes: bytes, KiB to one decimal, MiB to two, trailing zeros dropped', () => {
    expect([formatSize(512), formatSize(66_748), formatSize(196_608), formatSize(1_310_720), formatSize(2 * 1024 * 1024)]).toEqual([
      '512 B',
      '65.2 KiB',
      '192 KiB',
      '1.25 MiB',
      '2 MiB',
    ]);
    expect([formatCount(66_748), formatByteCount(66_748)]).toEqual(['66,748', '66,748 B']);
  });

  it('durations: milliseconds, three significant digits, then minutes', () => {
    expect([formatDuration(850), formatDuration(1240), formatDuration(6840), formatDuration(7200), formatDuration(12_340), formatDuration(59_960), formatDuration(125_000)]).toEqual([
      '850 ms',
      '1.24 s',
      '6.84 s',
      '7.2 s',
      '12.3 s',
      '1 min 00 s',
      '2 min 05 s',
    ]);
  });

  it('rates and ETAs, with one rate computation', () => {
    expect([formatRate(0), formatRate(Number.NaN), formatRate(42_188)]).toEqual(['', '', '41.2 KiB/s']);
    expect([formatEta(undefined), formatEta(400), formatEta(11_200), formatEta(125_000)]).toEqual(['', 'ETA <1s', 'ETA 12s', 'ETA 2m05s']);
    expect([transferRate(1000, 0), transferRate(1000, 1100)]).toEqual([0, 909]);
    expect([remainingMs(250, 1000, 0), remainingMs(250, 1000, 500)]).toEqual([undefined, 1500]);
  });

  it('addresses, USB ids, bootloader versions and CRCs in upper-case hex', () => {
    expect([formatAddress(0x8004000), formatUsbId(0x483, 0xdf11), formatBcd(0x2200), formatCrc(0x873b0b70)]).toEqual(['0x08004000', '0483:DF11', '0x2200', '0x873B0B70']);
  });
});
