import { profiles } from '../simulator/profiles.js';
import { BOOTLOADER_KEY_PATTERN, bootloaderKey } from './bootloaderKey.js';

/** What a connected device's DeviceInfo carries for the key, from a simulator profile. */
function described(id: string, serial?: string) {
  const profile = profiles[id]!;
  return {
    vendorId: profile.vendorId,
    productId: profile.productId,
    bcdDevice: profile.bcdDevice,
    serialNumber: serial ?? profile.serial,
    alternates: profile.alternates.map((entry, alternate) => ({ alternate, name: '', descriptor: entry.descriptor, role: 'other' as const })),
  };
}

describe('bootloaderKey', () => {
  it('is the same for the L072xB and L073 (same bootloader descriptors) and differs for an F405', () => {
    const l072 = bootloaderKey(described('stm32l072xb'));
    expect(l072).toBe('0483:df11:2200:@Internal Flash  /0x08000000/1536*128g');
    expect(bootloaderKey(described('stm32l073'))).toBe(l072);
    expect(bootloaderKey(described('stm32f405'))).not.toBe(l072);
    expect(l072).toMatch(BOOTLOADER_KEY_PATTERN);
  });

  it('ignores the serial number but not the bcdDevice', () => {
    const info = described('stm32l072xb');
    const otherBoard = { ...info, serialNumber: 'OTHER' };
    expect(bootloaderKey(otherBoard)).toBe(bootloaderKey(info));
    expect(bootloaderKey({ ...info, bcdDevice: 0x2100 })).toBe('0483:df11:2100:@Internal Flash  /0x08000000/1536*128g');
  });

  it('uses alternate 0 even when the list starts elsewhere, and an empty string without alternates', () => {
    const info = described('stm32l072xb');
    expect(bootloaderKey({ ...info, alternates: [...info.alternates].reverse() })).toBe(bootloaderKey(info));
    expect(bootloaderKey({ ...info, alternates: [] })).toBe('0483:df11:2200:');
  });
});
