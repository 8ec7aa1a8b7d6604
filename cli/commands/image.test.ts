import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, readU32LE } from '../../core/bytes.js';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

const fixtures = join(repoRoot, 'core/testing/fixtures/firmware');
const flashBin = new Uint8Array(readFileSync(join(fixtures, 'blinky-flash.bin')));
const eepromBin = new Uint8Array(readFileSync(join(fixtures, 'blinky-eeprom.bin')));
const allBytesCrc = crc32(Uint8Array.of(...flashBin, ...eepromBin));

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'dfu-desk-image-'));
}

describe('dfu-desk image', () => {
  it('shows format, blocks with CRC-32, entry and a sane vector table for a toolchain HEX', async () => {
    const run = await runCliProcess(['image', join(fixtures, 'blinky.hex'), '--json']);
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      format: 'intel-hex',
      sizeBytes: 228,
      crc32: allBytesCrc,
      entryAddress: 0x08000043,
      blocks: [
        { start: 0x08000000, end: 0x080000d4, size: 212, crc32: crc32(flashBin) },
        { start: 0x08080000, end: 0x08080010, size: 16 },
      ],
      vectorTable: {
        initialStackPointer: 0x20005000,
        resetVector: 0x08000043,
        isStackInRam: true,
        hasThumbBit: true,
        isResetInImage: true,
      },
      warnings: [],
    });
    expect((run.result as { file: { sha256: string } }).file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('summarises every target of a .dfu file: the image size, blocks and CRC cover all of them', async () => {
    const text = await runCliProcess(['image', join(fixtures, 'blinky.dfu')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Format      DfuSe .dfu');
    expect(text.stdout).toContain(
      `Image       228 bytes in 2 blocks, CRC-32 0x${allBytesCrc.toString(16).toUpperCase().padStart(8, '0')} (all 2 targets)`,
    );
    expect(text.stdout).toContain('DFU suffix  0483:DF11');
    expect(text.stdout).toMatch(
      /DfuSe targets:\n +alt +name +blocks +bytes +CRC-32\n +0 +ST\.\.\. +1 +212 +0x[0-9A-F]{8}\n +2 +ST\.\.\. +1 +16 +0x[0-9A-F]{8}/,
    );
    const json = await runCliProcess(['image', join(fixtures, 'blinky.dfu'), '--json']);
    expect(json.result).toMatchObject({
      sizeBytes: 228,
      crc32: allBytesCrc,
      blocks: [
        { start: 0x08000000, size: 212 },
        { start: 0x08080000, size: 16 },
      ],
      targets: [
        { alternate: 0, name: 'ST...', sizeBytes: 212, crc32: crc32(flashBin) },
        { alternate: 2, name: 'ST...', sizeBytes: 16, crc32: crc32(eepromBin) },
      ],
    });
  });

  it('places a raw binary where --address says, and at the flash start with a warning without it', async () => {
    const bin = await runCliProcess(['image', join(fixtures, 'blinky-flash.bin'), '--address', '0x08004000']);
    expect(bin.code).toBe(0);
    expect(bin.stdout).toMatch(/0x08004000 +0x080040D4 +212 B/);
    expect(bin.stdout).toContain('reset 0x08000043 (outside the image): suspicious');
    expect(bin.stderr).toContain('points outside the image');
    const defaulted = await runCliProcess(['image', join(fixtures, 'blinky-flash.bin')]);
    expect(defaulted.code).toBe(0);
    expect(defaulted.stderr).toContain('raw binary: no addresses in the file, shown at 0x08000000 (use --address)');
  });

  it('converts to S-records, a .dfu and a raw binary, each reading back as the same image', async () => {
    const folder = scratch();
    const srec = await runCliProcess(['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'out.s37'), '--json']);
    expect(srec.code).toBe(0);
    expect(srec.result).toMatchObject({ output: { path: join(folder, 'out.s37'), format: 'srec' } });
    expect(readFileSync(join(folder, 'out.s37'), 'latin1')).toMatch(/^S3.*\nS5030008F4\nS70508000043AF\n$/s);

    const dfu = await runCliProcess([
      'image',
      join(folder, 'out.s37'),
      '-o',
      join(folder, 'out.dfu'),
      '--vid',
      '1209',
      '--pid',
      '0x5BF0',
    ]);
    expect(dfu.code).toBe(0);
    expect(dfu.stdout).toMatch(/Wrote .*out\.dfu: DfuSe \.dfu, \d[\d,]* bytes; it reads back as the same image/);
    const dfuBytes = new Uint8Array(readFileSync(join(folder, 'out.dfu')));
    expect(readU32LE(dfuBytes, 6)).toBe(dfuBytes.length - 16);

    const back = await runCliProcess(['image', join(folder, 'out.dfu'), '--json']);
    expect(back.result).toMatchObject({
      format: 'dfuse',
      sizeBytes: 228,
      crc32: allBytesCrc,
      dfu: { vendorId: 0x1209, productId: 0x5bf0 },
      warnings: [],
    });

    const noFill = await runCliProcess(['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'out.bin')]);
    expect(noFill.code).toBe(2);
    expect(noFill.stderr).toContain(
      'error: invalid --fill: the image has 1 gap between its blocks (the first 0x080000D4..0x08080000, 511.8 KiB): name the byte that fills them',
    );
    const bin = await runCliProcess([
      'image',
      join(fixtures, 'blinky.elf'),
      '-o',
      join(folder, 'flash.bin'),
      '--fill',
      '0x00',
    ]);
    expect(bin.code).toBe(0);
    expect(bin.stdout).toContain('starting at 0x08000000 (flash it with --address 0x08000000)');
    const written = new Uint8Array(readFileSync(join(folder, 'flash.bin')));
    expect(written.length).toBe(0x80010);
    expect(written.subarray(0, 212)).toEqual(flashBin);
    expect(written.subarray(0x80000)).toEqual(eepromBin);
    expect(written.subarray(212, 0x80000).every((value) => value === 0)).toBe(true);
  });

  it('refuses to guess: conversion options without -o, a raw binary without --address, unknown output names', async () => {
    const folder = scratch();
    const cases: [string[], string][] = [
      [['image', join(fixtures, 'blinky.hex'), '--fill', '0xFF'], '--fill: only applies when converting (-o OUT)'],
      [
        ['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'a.hex'), '--fill', '0xFF'],
        '--fill: only applies to a .bin output',
      ],
      [
        ['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'a.bin'), '--fill', '256'],
        "--fill: '256' is not a byte value",
      ],
      [
        ['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'a.hex'), '--vid', '0483'],
        '--vid: only applies to a .dfu output',
      ],
      [
        ['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'a.dfu'), '--pid', 'xyz'],
        "--pid: 'xyz' is not a USB ID",
      ],
      [
        ['image', join(fixtures, 'blinky.hex'), '-o', join(folder, 'a.txt')],
        'name it .hex, .srec (.s19 .s28 .s37 .mot), .bin or .dfu',
      ],
      [
        ['image', join(fixtures, 'blinky-flash.bin'), '-o', join(folder, 'a.hex')],
        'blinky-flash.bin is a raw binary without addresses: say where it starts (e.g. --address 0x08000000) to convert it',
      ],
      [
        ['image', join(fixtures, 'blinky.hex'), '--format', 'ihex'],
        "--format: 'ihex' is not a format: use hex, srec, elf, dfu or bin",
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCliProcess(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
    const missingFolder = await runCliProcess([
      'image',
      join(fixtures, 'blinky.hex'),
      '-o',
      join(folder, 'no', 'such', 'a.hex'),
    ]);
    expect(missingFolder.code).toBe(8);
  });

  it('refuses text and mislabelled files with the file, the line and the reason (exit 3)', async () => {
    const folder = scratch();
    writeFileSync(join(folder, 'notes.txt'), 'Release notes\n- blink faster\n');
    writeFileSync(join(folder, 'firmware.hex'), '<!DOCTYPE html>\n<html><head><title>Download</title></head></html>\n');
    writeFileSync(
      join(folder, 'commented.hex'),
      `; built by CI\n${readFileSync(join(fixtures, 'blinky.hex'), 'latin1')}`,
    );
    writeFileSync(
      join(folder, 'utf16.hex'),
      Buffer.from(`\ufeff${readFileSync(join(fixtures, 'blinky.hex'), 'latin1')}`, 'utf16le'),
    );
    const cases: [string, string][] = [
      [
        'notes.txt',
        'error: file: notes.txt, line 1: the extension .txt names no firmware format, and the content is not Intel HEX, S-records, ELF or DfuSe: it is text, not records: "Release notes"; text is never flashed as firmware',
      ],
      [
        'firmware.hex',
        'error: intel-hex: firmware.hex, line 1: not Intel HEX: it is text, not records: "<!DOCTYPE html>"',
      ],
      [
        'commented.hex',
        'error: intel-hex: commented.hex, line 1: not Intel HEX: it is text, not records: "; built by CI"',
      ],
      [
        'utf16.hex',
        'error: intel-hex: utf16.hex, offset 0: not Intel HEX: it looks like UTF-16 text (little-endian, what a Windows shell redirect or some editors write): save it as ASCII or UTF-8',
      ],
    ];
    for (const [name, message] of cases) {
      const run = await runCliProcess(['image', join(folder, name)]);
      expect(run.code, name).toBe(3);
      expect(run.stderr, name).toContain(message);
    }
    // The user can still say it is a raw binary; it is read byte for byte, with a warning.
    const asked = await runCliProcess([
      'image',
      join(folder, 'notes.txt'),
      '--format',
      'bin',
      '--address',
      '0x20000000',
      '--json',
    ]);
    expect(asked.code).toBe(0);
    expect(asked.result).toMatchObject({
      format: 'binary',
      sizeBytes: 29,
      warnings: expect.arrayContaining([
        'read as a raw binary, as asked, although it is text, not records: "Release notes"',
      ]),
    });
    // And that a .bin holds Intel HEX.
    writeFileSync(join(folder, 'hex.bin'), readFileSync(join(fixtures, 'blinky.hex')));
    const hexAsBin = await runCliProcess(['image', join(folder, 'hex.bin')]);
    expect(hexAsBin.code).toBe(3);
    expect(hexAsBin.stderr).toContain(
      'not a raw binary: it holds Intel HEX records; rename it to .hex, or name the format (--format hex)',
    );
    expect((await runCliProcess(['image', join(folder, 'hex.bin'), '--format', 'hex', '--json'])).result).toMatchObject(
      { format: 'intel-hex', sizeBytes: 228 },
    );
  });

  it('refuses folders, FIFOs and devices without reading them, quickly', async () => {
    const folder = scratch();
    const fifo = join(folder, 'pipe.hex');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(folder, 'dir.hex'));
    const cases: [string, string][] = [
      [fifo, 'file: pipe.hex: is a pipe (FIFO), not a regular file'],
      ['/dev/zero', 'file: zero: is a character device, not a regular file'],
      [join(folder, 'dir.hex'), 'file: dir.hex: is a folder, not a firmware file'],
      [join(folder, 'missing.hex'), `file: missing.hex: no such file: ${join(folder, 'missing.hex')}`],
    ];
    for (const [path, message] of cases) {
      const started = Date.now();
      const run = await runCliProcess(['image', path], { timeoutMs: 5000 });
      expect(run.code, path).toBe(3);
      expect(run.stderr, path).toContain(message);
      expect(Date.now() - started, path).toBeLessThan(4000);
    }
  });

  it('prints target names and headers with their control characters escaped', async () => {
    const folder = scratch();
    const image = MemoryImage.fromBytes(0x08000000, Uint8Array.of(1, 2, 3, 4));
    writeFileSync(
      join(folder, 'evil.dfu'),
      writeDfuFile({ targets: [{ alternate: 0, name: 'Flash\x1b]0;pwned\x07\x1b[2J\u202e', image }] }),
    );
    const run = await runCliProcess(['image', join(folder, 'evil.dfu')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Flash\\x1b]0;pwned\\x07\\x1b[2J\\u202e');
    // eslint-disable-next-line no-control-regex
    expect(run.stdout).not.toMatch(/[\x07\x1b\u202e]/);
    writeFileSync(join(folder, 'evil\x1b[31m.hex'), readFileSync(join(fixtures, 'blinky.hex')));
    const named = await runCliProcess(['image', join(folder, 'evil\x1b[31m.hex')]);
    expect(named.stdout).toContain('File        evil\\x1b[31m.hex');
    // eslint-disable-next-line no-control-regex
    expect(named.stdout + named.stderr).not.toMatch(/\x1b/);
  });

  it('summarises and converts an image of 200,000 blocks (no stack overflow), listing the first blocks only', async () => {
    const folder = scratch();
    const blocks = Array.from({ length: 200_000 }, (_, i) => ({
      start: 0x08000000 + 2 * i,
      data: Uint8Array.of(i & 0xff),
    }));
    writeFileSync(join(folder, 'many.hex'), writeIntelHex(MemoryImage.fromBlocks(blocks)));
    const run = await runCliProcess(['image', join(folder, 'many.hex'), '-o', join(folder, 'many.s19')], {
      timeoutMs: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Image       200,000 bytes in 200,000 blocks');
    expect(run.stdout).toContain('... 199,968 more blocks (--json lists them all)');
    const back = await runCliProcess(['image', join(folder, 'many.s19'), '--json'], { timeoutMs: 60_000 });
    expect(back.result).toMatchObject({ format: 'srec', sizeBytes: 200_000 });
    expect((back.result as { blocks: unknown[] }).blocks).toHaveLength(200_000);
  }, 120_000);
});
