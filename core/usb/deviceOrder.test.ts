import fc from 'fast-check';
import { compareNatural, sortDevices } from './deviceOrder.js';

const device = (path: string, isSimulated = false) => ({ id: `${isSimulated ? 'sim' : 'usb'}:${path}`, path, isSimulated });

describe('sortDevices', () => {
  it('puts real devices first in natural path order and simulated ones last, whatever order the bus used', () => {
    const newestFirst = [device('sim-10', true), device('3-1.10'), device('sim-2', true), device('3-1.2'), device('1-4'), device('3-1')];
    expect(sortDevices(newestFirst).map((d) => d.path)).toEqual(['1-4', '3-1', '3-1.2', '3-1.10', 'sim-2', 'sim-10']);
  });

  it('gives the same order for any permutation of the same devices', () => {
    const devices = ['1-1', '1-2', '1-10', '2-1.3', '2-1.1', 'sim-1', 'sim-11', 'sim-3'].map((path) => device(path, path.startsWith('sim')));
    const expected = sortDevices(devices);
    fc.assert(fc.property(fc.shuffledSubarray(devices, { minLength: devices.length, maxLength: devices.length }), (shuffled) => {
      expect(sortDevices(shuffled)).toEqual(expected);
    }));
  });
});

describe('compareNatural', () => {
  it('compares digit runs by value and leading zeros after', () => {
    expect(compareNatural('a2', 'a10')).toBeLessThan(0);
    expect(compareNatural('a10', 'a2')).toBeGreaterThan(0);
    expect(compareNatural('a02', 'a2')).toBeGreaterThan(0);
    expect(compareNatural('b1', 'a9')).toBeGreaterThan(0);
    expect(compareNatural('3-1', '3-1.1')).toBeLessThan(0);
    expect(compareNatural('x', 'x')).toBe(0);
  });
});
