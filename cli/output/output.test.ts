import { HumanSink } from './humanSink.js';
import { JsonSink } from './jsonSink.js';
import { renderProgressBar } from './progressBar.js';
import { Reporter } from './reporter.js';
import type { TextSink } from './textSink.js';

class BufferSink implements TextSink {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

function manualClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

describe('renderProgressBar', () => {
  it('shows fraction, amounts, rate and ETA and never exceeds the terminal width', () => {
    const sample = { done: 33_374, total: 66_748, bytesPerSecond: 41_000, etaMs: 814, elapsedMs: 800 };
    const line = renderProgressBar({ label: 'write', sample, columns: 100 });
    expect(line).toMatch(/^write +\[#{15}-{15}\] +50% +32\.6 KiB\/65\.2 KiB +40 KiB\/s +ETA <1s$/);
    expect(renderProgressBar({ label: 'write', sample, columns: 40 }).length).toBeLessThan(40);
  });
});

describe('Reporter with a human sink', () => {
  it('prints plain start, quarter and finish lines when stdout is not a terminal', () => {
    const stdout = new BufferSink(false);
    const stderr = new BufferSink(false);
    const clock = manualClock();
    const reporter = new Reporter([new HumanSink({ stdout, stderr, verbose: false, labelDevices: false })], clock.now);
    reporter.phase('sim:1', 'erase', 'start');
    for (let done = 0; done <= 1000; done += 100) {
      clock.t += 100;
      reporter.progress('sim:1', 'erase', done, 1000);
    }
    reporter.phase('sim:1', 'erase', 'finish');
    reporter.log('sim:1', 'info', 'erased 8 sectors');
    reporter.log('sim:1', 'warn', 'sector 3 held data outside the image');
    expect(stdout.text.split('\n')).toEqual([
      'erase    started',
      'erase    25%  300 B/1000 B  750 B/s  ETA <1s',
      'erase    50%  500 B/1000 B  833 B/s  ETA <1s',
      'erase    75%  800 B/1000 B  889 B/s  ETA <1s',
      'erase    done: 1000 B in 1.1 s (909 B/s)',
      '',
    ]);
    expect(stderr.text).toBe('warning: sector 3 held data outside the image\n');
  });

  it('labels lines with the device when several devices run at once, and shows info logs only when verbose', () => {
    const stdout = new BufferSink(false);
    const stderr = new BufferSink(false);
    const reporter = new Reporter([new HumanSink({ stdout, stderr, verbose: true, labelDevices: true })], () => 0);
    reporter.phase('sim:2', 'connect', 'start');
    reporter.phase('sim:2', 'connect', 'finish');
    reporter.log('sim:2', 'debug', 'GETSTATUS -> dfuIDLE');
    expect(stdout.text).toBe('[sim:2] connect done: 0 ms\n');
    expect(stderr.text).toBe('[sim:2] debug: GETSTATUS -> dfuIDLE\n');
  });

  it('redraws a live bar in place on a terminal and leaves one finish line per phase', () => {
    const stdout = new BufferSink(true, 100);
    const clock = manualClock();
    const reporter = new Reporter([new HumanSink({ stdout, stderr: new BufferSink(true), verbose: false, labelDevices: false })], clock.now);
    reporter.phase(undefined, 'write', 'start');
    clock.t = 500;
    reporter.progress(undefined, 'write', 512, 1024);
    clock.t = 1000;
    reporter.progress(undefined, 'write', 1024, 1024);
    reporter.phase(undefined, 'write', 'finish');
    expect(stdout.text).toContain('write    [###############---------------]  50%');
    expect(stdout.text).toContain('\r\x1b[J');
    // What remains on screen once every erase sequence is applied: only the finish line.
    const screen = stdout.text.split('\r\x1b[J').pop();
    expect(screen).toBe('write    done: 1 KiB in 1 s (1 KiB/s)\n');
  });
});

describe('Reporter with a JSON sink', () => {
  it('prints one object per line, thins progress to 20 per second, hides debug logs', () => {
    const stdout = new BufferSink(false);
    const clock = manualClock();
    const reporter = new Reporter([new JsonSink(stdout)], clock.now);
    reporter.phase('sim:1', 'write', 'start');
    for (let done = 0; done <= 100; done += 10) {
      clock.t += 10;
      reporter.progress('sim:1', 'write', done, 100);
    }
    reporter.log('sim:1', 'debug', 'DNLOAD block 2');
    reporter.phase('sim:1', 'write', 'finish');
    reporter.warning('careful', 'sim:1');
    reporter.record({ type: 'result', ok: true });
    const lines = stdout.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const progress = lines.filter((line) => line.type === 'progress');
    expect(progress.map((line) => line.done)).toEqual([0, 50, 100]);
    expect(progress[2]).toEqual({ type: 'progress', device: 'sim:1', phase: 'write', done: 100, total: 100, bytesPerSecond: 909, etaMs: 0 });
    expect(lines[0]).toEqual({ type: 'phase', device: 'sim:1', phase: 'write', status: 'start' });
    expect(lines.find((line) => line.type === 'phase' && line.status === 'finish')).toEqual({
      type: 'phase',
      device: 'sim:1',
      phase: 'write',
      status: 'finish',
      elapsedMs: 110,
      bytes: 100,
    });
    expect(lines.some((line) => line.type === 'log')).toBe(false);
    expect(lines.slice(-2)).toEqual([{ type: 'warning', device: 'sim:1', message: 'careful' }, { type: 'result', ok: true }]);
  });
});
