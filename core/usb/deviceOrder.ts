// A stable order for device lists. libusb lists the most recently attached device first, so the
// same boards would swap places after every replug (and `--all` output with them). Real devices
// come first, simulated ones last, then by USB path in natural order ("3-1.2" before "3-1.10",
// "sim-2" before "sim-10"), then by id.
import type { UsbDeviceSummary } from './transport.js';

type Ordered = Pick<UsbDeviceSummary, 'id' | 'path' | 'isSimulated'>;

/** Compares digit runs by value and everything else by UTF-16 code unit (no locale). */
export function compareNatural(a: string, b: string): number {
  const left = a.split(/(\d+)/);
  const right = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    // split() with a capture group puts digit runs at the odd indexes.
    if (i % 2 === 1) {
      const difference = Number(x) - Number(y);
      if (difference !== 0) return difference;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

export function compareDevices(a: Ordered, b: Ordered): number {
  if (a.isSimulated !== b.isSimulated) return a.isSimulated ? 1 : -1;
  return compareNatural(a.path, b.path) || compareNatural(a.id, b.id);
}

/** A sorted copy. */
export function sortDevices<T extends Ordered>(devices: readonly T[]): T[] {
  return [...devices].sort(compareDevices);
}
