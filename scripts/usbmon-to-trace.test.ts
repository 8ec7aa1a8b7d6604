import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Two events pairs in the usbmon "1u" text format (Linux Documentation/usb/usbmon.rst): a GETSTATUS
// answered dfuERROR/errTARGET and a CLRSTATUS, on bus 3 device 12.
const CAPTURE = `ffff9a4c81e3f000 1000001000 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1000001200 C Ci:3:012:0 0 6 = 0a000000 0a00
ffff9a4c81e3f000 1000001400 S Co:3:012:0 s 21 04 0000 0000 0000 0
ffff9a4c81e3f000 1000001500 C Co:3:012:0 0 0
`;
// The sysfs "descriptors" file of an STM32F405 ROM: device descriptor, then configuration descriptor.
const SYSFS_DESCRIPTORS = '1201000200000040830411df00220102030109023600010100c0320904000000fe0102040904000100fe0102050904000200fe0102060904000300fe01020709210bff0000081a01';

describe('scripts/usbmon-to-trace.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usbmon-to-trace-'));
  const capture = join(dir, 'f405.usbmon');
  const descriptors = join(dir, 'descriptors');
  writeFileSync(capture, CAPTURE);
  writeFileSync(descriptors, Buffer.from(SYSFS_DESCRIPTORS, 'hex'));

  // (core/usb/trace.test.ts and node/usbmonTrace.test.ts test the format; this is the file handling.)
  it('writes the trace, with descriptors from the sysfs file', () => {
    const out = join(dir, 'f405.trace.json');
    execFileSync(process.execPath, ['scripts/usbmon-to-trace.mjs', capture, '--source', 'usbmon: test', '--descriptors', descriptors, '--string', '4=@Internal Flash  /0x08000000/04*016Kg', '--out', out], { stdio: 'pipe' });
    const trace = JSON.parse(readFileSync(out, 'utf8')) as { source: string; device: { descriptors: { strings: Record<string, string> } }; entries: { bRequest: number }[] };
    expect(trace.source).toBe('usbmon: test');
    expect(trace.device).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200 });
    expect(trace.device.descriptors.strings['4']).toBe('@Internal Flash  /0x08000000/04*016Kg');
    expect(trace.entries.map((e) => e.bRequest)).toEqual([3, 4]);
  });

  it('without descriptors it fails with exit code 1 and says what to give', () => {
    const run = spawnSync(process.execPath, ['scripts/usbmon-to-trace.mjs', capture, '--source', 'x'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no complete device descriptor reply: give the sysfs "descriptors" file/);
  });

  it('without --source it refuses with exit code 2', () => {
    const run = spawnSync(process.execPath, ['scripts/usbmon-to-trace.mjs', capture], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--source is required/);
  });
});
