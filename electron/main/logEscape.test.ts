// The app's log files and exported log escape what devices and files put in messages: a product
// string, serial or region name with terminal escape sequences cannot drive the terminal that
// shows the log (cat, tail -f). Line breaks in a message (a stack) stay line breaks.
import { formatLogLine } from './logBook.js';

describe('log lines', () => {
  it('escape control, C1 and bidi characters in the message and the device id, and keep line breaks', () => {
    const line = formatLogLine({ time: 0, level: 'info', topic: 'usb', deviceId: 'usb:1\x1b[2J', message: 'connected STM32\x1b]0;pwned\x07 BOOTLOADER \u202eexe.hex\u009b31m\nat frame' });
    for (const raw of ['\x07', '\x1b', '\u009b', '\u202e']) expect(line).not.toContain(raw);
    expect(line).toBe('1970-01-01T00:00:00.000Z INFO  usb [usb:1\\x1b[2J]: connected STM32\\x1b]0;pwned\\x07 BOOTLOADER \\u202eexe.hex\\x9b31m\nat frame');
  });

  it('leaves ordinary lines as they were', () => {
    expect(formatLogLine({ time: 0, level: 'warn', topic: 'image', message: 'app.bin: placed at 0x08000000' })).toBe('1970-01-01T00:00:00.000Z WARN  image: app.bin: placed at 0x08000000');
  });
});
