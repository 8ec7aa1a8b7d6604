import { runCliProcess } from '../testing/cliProcess.js';

const L073 = '@Internal Flash  /0x08000000/1536*128g';

describe('dfu-desk layout', () => {
  it('reads the L0 string that broke the ST tools, and names both corrections', async () => {
    const run = await runCliProcess(['layout', L073]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Region     Internal Flash');
    expect(run.stdout).toContain('0x08000000 - 0x08030000 (192 KiB in 1536 sectors)');
    expect(run.stdout).toMatch(/0x08000000 +0x08030000 +1536 x 128 B +192 KiB +rew/);
    expect(run.stdout).toContain("no size multiplier before 'g'");
    expect(run.stdout).toContain('Canonical  @Internal Flash  /0x08000000/1536*128Bg');
  });

  it('prints segments and corrections as one JSON result', async () => {
    const run = await runCliProcess(['layout', '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', '--json']);
    expect(run.code).toBe(0);
    expect(run.json).toHaveLength(1);
    expect(run.result).toMatchObject({
      type: 'result',
      command: 'layout',
      ok: true,
      exitCode: 0,
      region: { name: 'Internal Flash', start: 0x08000000, end: 0x08100000, sectorCount: 12 },
      warnings: [],
    });
    const segments = (run.result.region as { segments: { sectorSize: number; sectorCount: number }[] }).segments;
    expect(segments.map((s) => [s.sectorCount, s.sectorSize])).toEqual([
      [4, 16384],
      [1, 65536],
      [7, 131072],
    ]);
  });

  it('lists every sector with --sectors', async () => {
    const run = await runCliProcess(['layout', '@Option Bytes  /0x1FFF7800/01*040 e', '--sectors']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n {2}0 +0x1FFF7800 +0x1FFF7828 +40 B +r-w/);
  });

  it('fails with exit code 3 and the position for an unreadable string', async () => {
    const run = await runCliProcess(['layout', '@Internal Flash  /0x08000000/zz*128Kg', '--json']);
    expect(run.code).toBe(3);
    expect(run.result).toMatchObject({ ok: false, exitCode: 3, error: { kind: 'layout-format' } });
    expect(typeof (run.result.error as { position: unknown }).position).toBe('number');
  });
});
