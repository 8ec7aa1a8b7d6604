import { MemoryImage } from '../image/memoryImage.js';
import { buildDescriptors } from '../simulator/descriptorBuilder.js';
import { capturedDescriptors as captured } from '../testing/fixtures/descriptors.js';
import { describeDevice } from '../usb/descriptors.js';
import type { DfuTransport } from '../usb/transport.js';
import { deviceContentOf } from './deviceContent.js';

const info = describeDevice({
  summary: { id: 'test', vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: '1', isSimulated: true },
  descriptors: buildDescriptors({
    vendorId: 0x0483,
    productId: 0xdf11,
    bcdDevice: 0x2200,
    manufacturer: 'STMicroelectronics',
    product: 'STM32  BOOTLOADER',
    serial: '1',
    alternateNames: [captured.f405Flash.descriptor],
    attributes: 0x0b,
    detachTimeoutMs: 255,
    transferSize: 2048,
  }),
  interfaceNumber: 0,
  transport: {} as DfuTransport,
});

describe('deviceContentOf', () => {
  it('nothing known, nothing said', () => {
    expect(deviceContentOf(info, MemoryImage.empty)).toEqual({ blankRanges: [], dataRanges: [] });
  });

  it('F405 (erased 0xFF): per sector, blank or data, the known parts merged across sectors', () => {
    const bytes = new Uint8Array(0xc000).fill(0xff);
    bytes[0x4010] = 0x12; // sector 1 holds data
    const known = MemoryImage.fromBytes(0x08000000, bytes).join(MemoryImage.fromBytes(0x08020100, new Uint8Array(0x100).fill(0xff)));
    expect(deviceContentOf(info, known)).toEqual({
      blankRanges: [
        { start: 0x08000000, end: 0x08004000 },
        { start: 0x08008000, end: 0x0800c000 },
        { start: 0x08020100, end: 0x08020200 },
      ],
      dataRanges: [{ start: 0x08004000, end: 0x08008000 }],
    });
  });
});
