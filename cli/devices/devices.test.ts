import { DfuError } from '../../core/errors.js';
import { thrownBy } from '../../core/testing/dfuErrorOf.js';
import type { UsbDeviceSummary } from '../../core/usb/transport.js';
import { selectDevices, SelectionError } from './selectDevice.js';
import { parseSimulateOption } from './simulateSpec.js';

function device(id: number, serialNumber?: string): UsbDeviceSummary {
  return { id: `usb:1-${id}`, vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: `1-${id}`, isSimulated: false, ...(serialNumber ? { serialNumber } : {}) };
}

const selectionError = (action: () => unknown): SelectionError => thrownBy(SelectionError, action);

describe('selectDevices', () => {
  const boards = [device(1, 'AAA'), device(2, 'AAA'), device(3, 'BBB')];

  it('takes the only device, or a device by serial, path or id', () => {
    expect(selectDevices([device(1)], {})).toEqual([device(1)]);
    expect(selectDevices(boards, { selector: 'BBB' })).toEqual([boards[2]]);
    expect(selectDevices(boards, { selector: '1-2' })).toEqual([boards[1]]);
    expect(selectDevices(boards, { selector: 'usb:1-1' })).toEqual([boards[0]]);
  });

  it('refuses ambiguity (equal serials, or several devices without a selector) and lists the candidates', () => {
    const equalSerials = selectionError(() => selectDevices(boards, { selector: 'AAA' }));
    expect(equalSerials.info).toEqual({
      kind: 'ambiguous-device',
      selector: 'AAA',
      candidates: ['serial AAA at path 1-1 (0483:DF11)', 'serial AAA at path 1-2 (0483:DF11)'],
    });
    expect(selectionError(() => selectDevices(boards, {})).candidates).toHaveLength(3);
  });

  it('reports no device with everything that is connected', () => {
    const none = selectionError(() => selectDevices(boards, { selector: 'CCC' }));
    expect(none.info).toEqual({ kind: 'no-device', selector: 'CCC' });
    expect(none.candidates).toEqual(boards);
    expect(selectionError(() => selectDevices([], { all: true })).info).toEqual({ kind: 'no-device' });
  });

  it('--all takes every device, or every device matching the selector', () => {
    expect(selectDevices(boards, { all: true })).toEqual(boards);
    expect(selectDevices(boards, { all: true, selector: 'AAA' })).toEqual(boards.slice(0, 2));
  });
});

describe('parseSimulateOption', () => {
  it('reads a count after the profile, and keeps profile ids that contain an x', () => {
    expect(parseSimulateOption('stm32l073x3')).toEqual({ spec: 'stm32l073', count: 3 });
    expect(parseSimulateOption('stm32l073x2:unplugMidWrite:1')).toEqual({ spec: 'stm32l073:unplugMidWrite:1', count: 2 });
    expect(parseSimulateOption('stm32l072xb')).toEqual({ spec: 'stm32l072xb', count: 1 });
    expect(parseSimulateOption('stm32l072xbx2')).toEqual({ spec: 'stm32l072xb', count: 2 });
  });

  it('refuses unknown profiles and scenarios and silly counts as usage errors', () => {
    for (const text of ['stm32zz', 'stm32l073:noSuchFault', 'stm32l073x0', 'stm32l073x999']) {
      expect(() => parseSimulateOption(text)).toThrow(DfuError);
      try {
        parseSimulateOption(text);
      } catch (error) {
        expect((error as DfuError).info).toMatchObject({ kind: 'invalid-argument', argument: '--simulate' });
      }
    }
  });
});
