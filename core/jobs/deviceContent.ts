// What is on the chip, as far as this session knows (the bytes it read and did not change since:
// a plan's reads of partly covered sectors, a verification's read-back, a read back, a
// differential read): per sector, blank (only the erased value) or holding data. The memory map
// shows it beside the plan; nothing here reads the device.
import { familyFacts } from '../devices/stm32.js';
import { sectorsIn } from '../dfuse/memoryLayout.js';
import type { AddressRange, MemoryImage } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';

export interface DeviceContent {
  /** Known parts of sectors whose known bytes are all the erased value. */
  readonly blankRanges: readonly AddressRange[];
  /** Known parts of sectors holding at least one other byte. */
  readonly dataRanges: readonly AddressRange[];
}

export function deviceContentOf(info: DeviceInfo, known: MemoryImage): DeviceContent {
  const blank: AddressRange[] = [];
  const data: AddressRange[] = [];
  if (known.isEmpty) return { blankRanges: blank, dataRanges: data };
  const erased = familyFacts(info.family).erasedValue;
  for (const alt of info.alternates) {
    if (!alt.layout) continue;
    for (const range of known.ranges) {
      for (const sector of sectorsIn(alt.layout.region, range)) {
        const part = known.slice(sector);
        let isBlank = true;
        for (const block of part.blocks) {
          for (let i = 0; i < block.data.length && isBlank; i++) if (block.data[i] !== erased) isBlank = false;
          if (!isBlank) break;
        }
        const target = isBlank ? blank : data;
        for (const piece of part.ranges) {
          const last = target[target.length - 1];
          if (last && last.end === piece.start) target[target.length - 1] = { start: last.start, end: piece.end };
          else if (!last || last.end < piece.start) target.push(piece);
        }
      }
    }
  }
  return { blankRanges: blank, dataRanges: data };
}
