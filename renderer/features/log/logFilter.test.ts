import { describe, expect, it } from 'vitest';
import { filterLog, formatLogLine } from './logFilter.js';
import type { LogEntry } from '../../../core/contract/programmer.js';

const entries: LogEntry[] = [
  { time: 0, level: 'debug', topic: 'usb', message: 'GETSTATUS dfuDNBUSY poll 3 ms' },
  { time: 1, level: 'info', topic: 'erase', message: 'page 0x08000000 erased (3 ms)' },
  { time: 2, level: 'warn', topic: 'plan', message: 'sector 521 is partly covered' },
  { time: 3, level: 'error', topic: 'write', message: 'device disconnected at 0x08004000' },
  { time: 4, level: 'info', topic: 'flash-on-connect', message: 'PASS: board 2', deviceId: 'sim:2' },
];

describe('filterLog', () => {
  it('keeps entries at or above the level', () => {
    expect(filterLog(entries, 'warn', '').map((entry) => entry.time)).toEqual([2, 3]);
    expect(filterLog(entries, 'debug', '')).toHaveLength(5);
  });

  it('searches message and topic without regard to case', () => {
    expect(filterLog(entries, 'debug', 'ERASE').map((entry) => entry.time)).toEqual([1]);
    expect(filterLog(entries, 'debug', '0x0800').map((entry) => entry.time)).toEqual([1, 3]);
  });

  it('finds the lines of one board by its id', () => {
    expect(filterLog(entries, 'debug', 'SIM:2').map((entry) => entry.time)).toEqual([4]);
  });
});

describe('formatLogLine', () => {
  it('puts level and topic in fixed columns', () => {
    expect(formatLogLine(entries[3]!)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}ERROR {2}write {5}device disconnected at 0x08004000$/);
  });

  it('names the board', () => {
    expect(formatLogLine(entries[4]!)).toMatch(/ {2}INFO {3}flash-on-connect {2}\[sim:2\] PASS: board 2$/);
  });
});
