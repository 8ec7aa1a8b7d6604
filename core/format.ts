// How DFU Desk writes numbers for people: addresses, USB ids, sizes, counts, durations, rates,
// CRCs. One module for the engine's messages, the CLI, the reports and the window, so a size or a
// duration reads the same everywhere (the renderer may import it at run time: pure, no state).

/** "0x08004000": addresses are always 0x-prefixed, 8 upper-case hex digits. */
export function formatAddress(address: number): string {
  return `0x${(address >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** "DF11": a 16-bit value as 4 upper-case hex digits (USB ids and bcdDevice, as ST and Zadig write them). */
export function formatHex4(value: number): string {
  return (value & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** USB ids as "0483:DF11". */
export function formatUsbId(vendorId: number, productId: number): string {
  return `${formatHex4(vendorId)}:${formatHex4(productId)}`;
}

/** bcdDevice, the bootloader version on ST parts: "0x2200". */
export function formatBcd(bcd: number): string {
  return `0x${formatHex4(bcd)}`;
}

export function formatHexByte(value: number): string {
  return (value & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** "00 50 00 20" */
export function formatHexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, formatHexByte).join(' ');
}

/** "0x873B0B70" */
export function formatCrc(crc: number): string {
  return `0x${(crc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** "512 B", "65.3 KiB", "192 KiB", "1.25 MiB": KiB to one decimal, MiB to two. */
export function formatSize(sizeBytes: number): string {
  const bytes = Math.round(sizeBytes);
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trimZeros((bytes / 1024).toFixed(1))} KiB`;
  return `${trimZeros((bytes / (1024 * 1024)).toFixed(2))} MiB`;
}

/** "66,748": exact counts are easier to compare with a file size when grouped. */
export function formatCount(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "66,748 B": an exact byte count, where rounding would hide a difference. */
export function formatByteCount(value: number): string {
  return `${formatCount(value)} B`;
}

/** "850 ms", "6.84 s", "12.3 s", "2 min 05 s": three significant digits below a minute. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${trimZeros((ms / 1000).toPrecision(3))} s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
}

/** "41.2 KiB/s"; an empty string until there is something to measure. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${formatSize(bytesPerSecond)}/s`;
}

/** "ETA <1s", "ETA 12s", "ETA 2m05s" (the progress bar's compact form); empty when unknown. */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return 'ETA <1s';
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `ETA ${seconds}s`;
  return `ETA ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Bytes per second after `done` bytes in `elapsedMs` (0 before any time has passed). */
export function transferRate(done: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
}

/** Milliseconds left at `bytesPerSecond`, or undefined while the rate is unknown. */
export function remainingMs(done: number, total: number, bytesPerSecond: number): number | undefined {
  return bytesPerSecond > 0 ? Math.round(((total - done) * 1000) / bytesPerSecond) : undefined;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** "1 sector", "1,536 sectors". */
export function pluralise(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}
