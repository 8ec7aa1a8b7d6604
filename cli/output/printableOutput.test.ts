// Everything the human output prints is escaped (core/printable.ts): a region or target name, a serial
// number or a file name with terminal escape sequences reaches the terminal as visible escapes,
// whichever path it took (a plan line, a warning, a log line), and ordinary lines are unchanged.
import { HumanSink } from './humanSink.js';
import { Reporter } from './reporter.js';
import type { TextSink } from './textSink.js';
import { runCliProcess } from '../testing/cliProcess.js';

class BufferSink implements TextSink {
  text = '';
  constructor(readonly isTTY: boolean) {}
  readonly columns = 80;
  write(text: string): void {
    this.text += text;
  }
}

const EVIL = 'Flash\x1b]0;pwned\x07\x1b[2J\u202eexe.hex\u009b31m';
const SHOWN = 'Flash\\x1b]0;pwned\\x07\\x1b[2J\\u202eexe.hex\\x9b31m';

describe('human output escapes what it prints', () => {
  it.each([false, true])('text, warnings and warn log lines (terminal: %s)', (isTTY) => {
    const stdout = new BufferSink(isTTY);
    const stderr = new BufferSink(isTTY);
    const reporter = new Reporter([new HumanSink({ stdout, stderr, verbose: true, labelDevices: false })], () => 0);
    reporter.text(`Plan     ${EVIL} (alt 0): erase 1 sector\nsecond line`);
    reporter.warning(`region ${EVIL} is odd`);
    reporter.log(undefined, 'warn', `target ${EVIL}`);
    reporter.log(undefined, 'info', `info ${EVIL}`);
    const all = stdout.text + stderr.text;
    for (const raw of ['\x07', '\x1b', '\u009b', '\u202e']) expect(all).not.toContain(raw);
    expect(all).toContain(`Plan     ${SHOWN} (alt 0): erase 1 sector`);
    expect(all).toContain('second line');
    expect(all).toContain(`warning: region ${SHOWN} is odd`);
    expect(all).toContain(`target ${SHOWN}`);
    expect(all).toContain(`info ${SHOWN}`);
  });

  it('leaves ordinary lines as they were', () => {
    const stdout = new BufferSink(false);
    const reporter = new Reporter([new HumanSink({ stdout, stderr: new BufferSink(false), verbose: false, labelDevices: false })], () => 0);
    reporter.text('Image    blinky.hex: Intel HEX, 66,748 bytes, SHA-256 0a1b…\nPlaced   raw binary at 0x08000000');
    expect(stdout.text).toBe('Image    blinky.hex: Intel HEX, 66,748 bytes, SHA-256 0a1b…\nPlaced   raw binary at 0x08000000\n');
  });

  it('escapes an error that quotes what the user or a device gave (the layout string of `dfu-desk layout`)', async () => {
    const run = await runCliProcess(['layout', '@Int\x1b[2Jernal Flash  /0x08000000/04*016Kg']);
    expect(run.stdout + run.stderr).not.toContain('\x1b[2J');
    expect(run.stdout + run.stderr).toContain('Int\\x1b[2Jernal Flash');
  });
});
