import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FOUNDING, writeFoundingFiles } from '../testing/foundingImage.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

const L073 = ['--simulate', 'stm32l073', '--sim-speed', '200'];
const blinkyBin = join(repoRoot, 'core/testing/fixtures/firmware/blinky-flash.bin');
let files: { folder: string; hex: string };

beforeAll(() => {
  files = writeFoundingFiles();
});

// JSON output is checked field by field; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('dfu-desk flash: the founding STM32L073 case', () => {
  it('erases exactly pages 0-521, writes, verifies, and streams JSON events with a final result', async () => {
    const run = await runCliProcess(['flash', files.hex, ...L073, '--json']);
    expect(run.code).toBe(0);
    const result = run.result as Json;
    expect(result).toMatchObject({ type: 'result', command: 'flash', ok: true, exitCode: 0, passed: 1, failed: 0 });
    const device = result.devices[0];
    const plan = device.plans[0];
    expect(plan).toMatchObject({ alternate: 0, region: 'Internal Flash', eraseMode: 'touched', bytesToWrite: FOUNDING.size });
    expect(plan.sectors).toHaveLength(FOUNDING.pages);
    expect(plan.sectors[0]).toEqual({ index: 0, start: 0x08000000, end: 0x08000080 });
    expect(plan.sectors[521]).toEqual({ index: 521, start: 0x08010480, end: 0x08010500 });
    expect(device.verify).toMatchObject({ isMatch: true, bytesCompared: FOUNDING.size, mismatchCount: 0 });
    expect(device.device).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, family: 'L0', isSimulated: true, path: 'sim-1' });
    // 'read': the 68 B of page 521 outside the image are read before the erase, to say whether anything is lost.
    expect((device.timings as Json[]).map((t) => String(t.phase))).toEqual(['connect', 'read', 'erase', 'write', 'verify']);
    expect(result.image).toMatchObject({ name: 'founding.hex', format: 'intel-hex' });
    expect(result.image.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Events: each phase starts, progresses monotonically to its total, and finishes, in order.
    const phases = run.json.filter((e) => e.type === 'phase').map((e) => `${String(e.phase)}:${String(e.status)}`);
    expect(phases).toEqual(['connect:start', 'connect:finish', 'read:start', 'read:finish', 'erase:start', 'erase:finish', 'write:start', 'write:finish', 'verify:start', 'verify:finish']);
    const writes = run.json.filter((e) => e.type === 'progress' && e.phase === 'write') as Json[];
    expect(writes.length).toBeGreaterThan(1);
    const done = writes.map((e) => Number(e.done));
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(writes[writes.length - 1]).toMatchObject({ done: FOUNDING.size, total: FOUNDING.size });
    expect(typeof writes[0]!.bytesPerSecond).toBe('number');
    expect(run.json.filter((e) => e.type === 'device-result')).toHaveLength(1);
    for (const line of run.stdout.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('without an erase, fails verification (exit 6) at the reset vector and says the sectors were not erased', async () => {
    const run = await runCliProcess(['flash', files.hex, ...L073, '--erase', 'none']);
    expect(run.code).toBe(6);
    expect(run.stdout).toContain('verification FAILED');
    expect(run.stdout).toContain('first at 0x08000004');
    // The old application's reset vector 0x0800C329 is still there, as in the 2018 report.
    expect(run.stdout).toMatch(/actual +00 50 00 20 29 c3 00 08/);
    expect(run.stdout).toMatch(/diagnosis: .*not erased/);
    expect(run.stderr).toContain('error: verification failed');
    expect(run.stderr).toContain('ERASE SKIPPED');
  });

  it('--plan prints the plan and touches nothing', async () => {
    const run = await runCliProcess(['flash', files.hex, ...L073, '--plan']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('plan Internal Flash (alt 0): erase touched');
    expect(run.stdout).toContain('erase 522 sectors');
    expect(run.stdout).toContain('#0-#521 [0x08000000, 0x08010500)');
    expect(run.stdout).not.toMatch(/^(erase|write|verify) +(started|done)/m);
    const json = await runCliProcess(['flash', files.hex, ...L073, '--plan', '--json']);
    expect(json.json.some((e) => e.type === 'phase')).toBe(false);
    expect(json.result).toMatchObject({ ok: true, planOnly: true });
  });

  it('--report writes JSON plus Markdown (or HTML) with identity, hash, erased sectors and verification; --log keeps debug lines', async () => {
    const report = join(files.folder, 'board.md');
    const log = join(files.folder, 'flash.log');
    const run = await runCliProcess(['flash', files.hex, ...L073, '--report', report, '--log', log]);
    expect(run.code).toBe(0);
    const json = JSON.parse(readFileSync(join(files.folder, 'board.json'), 'utf8')) as Json;
    expect(json).toMatchObject({
      schema: 'dfu-desk/flash-report@1',
      tool: { name: 'dfu-desk', interface: 'cli' },
      operation: 'flash',
      result: 'passed',
      device: { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: 'sim-1', serialNumber: expect.any(String) },
      image: { fileName: 'founding.hex', sizeBytes: FOUNDING.size },
      verification: { performed: true, isMatch: true },
    });
    // Every page: on L0 a page that reads blank is still erased (no blank check).
    expect(json.plans[0].sectorRuns).toEqual([{ firstSector: 0, sectorCount: 522, start: 0x08000000, end: 0x08010500 }]);
    expect(json.plans[0]).toMatchObject({ sectorsErased: 522, sectorsBlank: 0 });
    expect(json.regions[0]).toMatchObject({ name: 'Internal Flash', imageBytes: FOUNDING.size });
    expect((json.timings as Json[]).map((t) => String(t.phase))).toEqual(['connect', 'read', 'erase', 'write', 'verify']);
    const markdown = readFileSync(report, 'utf8');
    expect(markdown).toContain('**PASSED');
    expect(markdown).toContain(`| SHA-256 | ${json.image.sha256} |`);
    expect(markdown).toContain('0-521 (522 sectors, 0x08000000-0x08010500)');
    expect(markdown).not.toContain('read blank');
    const logLines = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Json);
    expect(logLines.some((line) => line.type === 'log' && line.level === 'debug')).toBe(true);
    expect(logLines.every((line) => typeof line.time === 'string')).toBe(true);
    expect(logLines[logLines.length - 1]).toMatchObject({ type: 'result', ok: true });

    const html = await runCliProcess(['flash', files.hex, ...L073, '--report', join(files.folder, 'board.html'), '--no-verify']);
    expect(html.code).toBe(0);
    expect(readFileSync(join(files.folder, 'board.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(JSON.parse(readFileSync(join(files.folder, 'board.json'), 'utf8'))).toMatchObject({ verification: { performed: false } });
  });
});

describe('dfu-desk flash: bad input fails before the device is touched', () => {
  it('a missing file: exit 3, one line naming the file', async () => {
    const run = await runCliProcess(['flash', join(files.folder, 'nope.hex'), ...L073]);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n')[0]).toBe(`error: file: nope.hex: no such file: ${join(files.folder, 'nope.hex')}`);
  });

  it('a corrupt HEX: exit 3 with the line number', async () => {
    const bad = join(files.folder, 'bad.hex');
    const lines = readFileSync(files.hex, 'utf8').split('\r\n');
    lines[3] = lines[3]!.replace(/..$/, (checksum) => (checksum === '00' ? '01' : '00'));
    writeFileSync(bad, lines.join('\r\n'));
    const run = await runCliProcess(['flash', bad, ...L073, '--json']);
    expect(run.code).toBe(3);
    expect(run.result).toMatchObject({ ok: false, exitCode: 3, error: { kind: 'image-format', format: 'intel-hex', file: 'bad.hex', line: 4 } });
    expect(run.json.some((e) => e.type === 'phase')).toBe(false);
  });

  it('an empty file: exit 3', async () => {
    const empty = join(files.folder, 'empty.bin');
    writeFileSync(empty, '');
    const run = await runCliProcess(['flash', empty, ...L073]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the file is empty');
  });

  it('an image outside writable memory, or too large for the region: exit 3, no DFU request', async () => {
    const outside = await runCliProcess(['flash', blinkyBin, ...L073, '--address', '0x08030000', '--json']);
    expect(outside.code).toBe(3);
    expect(outside.result).toMatchObject({ error: { kind: 'not-writable', address: 0x08030000 } });
    expect(outside.json.some((e) => e.type === 'phase')).toBe(false);
    const tooLarge = await runCliProcess(['flash', blinkyBin, ...L073, '--address', '0x0802FF80']);
    expect(tooLarge.code).toBe(3);
    expect(tooLarge.stderr).toContain('error: image ends at 0x08030054 but Internal Flash ends at 0x08030000');
  });

  it('a malformed address or an alt the device does not have: exit 2', async () => {
    const address = await runCliProcess(['flash', blinkyBin, ...L073, '--address', '0x0800000G']);
    expect(address.code).toBe(2);
    expect(address.stderr).toContain("error: invalid --address: '0x0800000G' is not an address");
    const alt = await runCliProcess(['flash', blinkyBin, ...L073, '--alt', 'EEPROM']);
    expect(alt.code).toBe(2);
    expect(alt.stderr).toContain('the device has no alt setting named "EEPROM" (it has 0 "Internal Flash", 1 "Option Bytes", 2 "DATA Memory")');
    const erase = await runCliProcess(['flash', blinkyBin, ...L073, '--erase', 'all']);
    expect(erase.code).toBe(2);
  });

  it('a raw binary lands at the start of the chosen region unless --address says otherwise', async () => {
    const run = await runCliProcess(['flash', blinkyBin, '--simulate', 'stm32l073', '--sim-speed', '200', '--alt', 'DATA Memory', '--plan']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('plan DATA Memory (alt 2)');
    expect(run.stdout).toContain('write 212 B in 1 chunks: [0x08080000, 0x080800D4)');
    expect(existsSync(files.hex)).toBe(true);
  });
});

describe('dfu-desk flash: Ctrl-C', () => {
  it('stops at a safe point with exit code 130', async () => {
    let interrupted = false;
    const run = await runCliProcess(['flash', files.hex, '--simulate', 'stm32l073', '--json'], {
      onStdout: (child, stdout) => {
        if (!interrupted && stdout.includes('"phase":"erase","status":"start"')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(run.code).toBe(130);
    expect(run.result).toMatchObject({ ok: false, exitCode: 130, error: { kind: 'cancelled' } });
    expect(run.json.some((e) => e.type === 'phase' && e.phase === 'write')).toBe(false);
    expect(run.stderr).toContain('stopping at the next safe point');
  });
});
