// The founding case (reference §7.3) as files for the CLI tests: a 66,748-byte image at 0x08000000
// whose vector table starts 00500020 8dc30008 (SP 0x20005000, reset 0x0800C38D), as in the ST
// community report; the simulated L073 holds an old application with reset vector 0x0800C329.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeU32LE } from '../../core/bytes.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';

export const FOUNDING = { start: 0x08000000, size: 66_748, initialStackPointer: 0x20005000, resetVector: 0x0800c38d, pages: 522 } as const;

export function foundingBytes(): Uint8Array {
  const data = new Uint8Array(FOUNDING.size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 7) & 0xff;
  writeU32LE(data, 0, FOUNDING.initialStackPointer);
  writeU32LE(data, 4, FOUNDING.resetVector);
  return data;
}

/** A temporary folder holding founding.hex (Intel HEX, as STM32CubeIDE writes it). */
export function writeFoundingFiles(): { folder: string; hex: string } {
  const folder = mkdtempSync(join(tmpdir(), 'dfu-desk-founding-'));
  const hex = join(folder, 'founding.hex');
  writeFileSync(hex, writeIntelHex(MemoryImage.fromBytes(FOUNDING.start, foundingBytes()), { startAddress: { kind: 'linear', address: FOUNDING.resetVector } }));
  return { folder, hex };
}
