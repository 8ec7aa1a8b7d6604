import { describe, expect, it } from 'vitest';
import { createAppStore, destructiveReasons, savedFlashSize, optionChanges, VERIFY_WINDOW_LIMIT } from './store.js';
import { registerFileInput } from './filePicker.js';
import { baseSnapshot, createFakeBridge, hexImage, l073Info, okResult } from './testing/fakeBridge.js';
import { MAX_VERIFY_WINDOW_BYTES } from '../core/contract/programmer.js';
import type { AddressRange, DecodedOptionBytes, JobResult, PlanSummary, Result, VerifyBytes, VerifyReport } from '../core/contract/programmer.js';

const plan: PlanSummary = {
  alternate: 0,
  region: 'Internal Flash',
  eraseMode: 'touched',
  isDifferential: false,
  sectors: [{ index: 0, start: 0x08000000, end: 0x08000080 }],
  writeRanges: [{ start: 0x08000000, end: 0x08000040 }],
  bytesToWrite: 64,
  imageBytes: 64,
  skippedChunks: 0,
  unchangedSectors: 0,
  blankCheck: true,
  verifyRanges: [{ start: 0x08000000, end: 0x08000040 }],
  preserveRanges: [],
  warnings: [],
  estimatedMs: 20,
  text: '',
};

const flushed = () => new Promise((resolve) => setTimeout(resolve, 0));

function fileNamed(name: string, bytes = new Uint8Array([1, 2, 3])): File {
  return new File([bytes], name);
}


/** What planProgram answers: the plans and no confirmations unless a test adds them. */
function preview(plans: readonly PlanSummary[]) {
  return { plans, confirmations: [], warnings: [] };
}

describe('store: mirroring main', () => {
  it('loads the snapshot and the log on start and follows session events afterwards', async () => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info] }));
    bridge.answer('getLog', () => Promise.resolve({ ok: true, value: [{ time: 1, level: 'info', topic: 'app', message: 'started' }] }));
    const store = createAppStore(bridge);
    await store.getState().start();
    expect(store.getState().session?.devices).toHaveLength(1);
    expect(store.getState().log.map((entry) => entry.message)).toEqual(['started']);
    bridge.emit({ type: 'session', session: baseSnapshot({ devices: [] }) });
    expect(store.getState().session?.devices).toHaveLength(0);
    bridge.emit({ type: 'log', entry: { time: 2, level: 'warn', topic: 'usb', message: 'detached' } });
    expect(store.getState().log).toHaveLength(2);
  });

  it('plans as soon as a device and an image are both there, and again when the options change', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: preview([plan]) }));
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    expect(store.getState().plan?.plans).toEqual([plan]);
    await store.getState().setProgramOptions({ erase: 'mass' });
    await flushed();
    const planCalls = bridge.calls.filter((call) => call.method === 'planProgram');
    expect(planCalls.map((call) => call.args[0])).toEqual([
      { erase: 'touched', verify: true },
      { erase: 'mass', verify: true },
    ]);
  });

  it('saves a flash size for the connected bootloader only: another bootloader has none, the same one has it again', async () => {
    const l0Key = '0483:df11:2200:@Internal Flash  /0x08000000/1536*128 g';
    const otherKey = '0483:df11:2200:@Internal Flash  /0x08000000/512*2Kg';
    const f405Info = {
      ...l073Info,
      id: 'sim:2',
      alternates: [{ ...l073Info.alternates[0]!, descriptor: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg' }],
    };
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, bootloaderKey: l0Key, image: hexImage }));
    bridge.snapshot = { ...bridge.snapshot, settings: { ...bridge.snapshot.settings, flashSizeLimits: { [otherKey]: 64 * 1024 } } };
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: preview([plan]) }));
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    expect(savedFlashSize(store.getState().session)).toBeUndefined();
    await store.getState().setFlashSizeLimit(128 * 1024);
    await flushed();
    expect(bridge.calls.filter((call) => call.method === 'updateSettings').map((call) => call.args[0])).toEqual([
      { flashSizeLimits: { [otherKey]: 64 * 1024, [l0Key]: 128 * 1024 } },
    ]);
    expect(store.getState().session?.settings.programOptions).toEqual({ erase: 'touched', verify: true });
    expect(savedFlashSize(store.getState().session)).toBe(128 * 1024);
    // Main applies the size; the window plans again because the size changed.
    expect(bridge.calls.filter((call) => call.method === 'planProgram').map((call) => call.args[0])).toEqual([
      { erase: 'touched', verify: true },
      { erase: 'touched', verify: true },
    ]);

    bridge.emit({ type: 'session', session: { ...bridge.snapshot, device: f405Info, bootloaderKey: '0483:df11:2200:@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg' } });
    expect(savedFlashSize(store.getState().session)).toBeUndefined();
    bridge.emit({ type: 'session', session: { ...bridge.snapshot, device: { ...l073Info, id: 'sim:3', serialNumber: 'ANOTHER' }, bootloaderKey: l0Key } });
    expect(savedFlashSize(store.getState().session)).toBe(128 * 1024);

    await store.getState().setFlashSizeLimit(undefined);
    expect(bridge.calls.filter((call) => call.method === 'updateSettings').map((call) => call.args[0])[1]).toEqual({ flashSizeLimits: { [otherKey]: 64 * 1024 } });
    expect(savedFlashSize(store.getState().session)).toBeUndefined();
  });

  it('keeps a refused plan as the plan error instead of a generic failure', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    bridge.answer('planProgram', () =>
      Promise.resolve({ ok: false, error: { kind: 'image-too-large', imageEnd: 0x08040000, regionEnd: 0x08030000, region: 'Internal Flash' } }),
    );
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    expect(store.getState().plan?.error?.kind).toBe('image-too-large');
    expect(store.getState().failure).toBeUndefined();
  });
});

describe('store: opening files', () => {
  it('opens a dropped file by the token main granted for it, never by a path', async () => {
    const bridge = createFakeBridge();
    const file = fileNamed('firmware.hex');
    const token = 'c0ffee'.padEnd(32, '0');
    bridge.grants.set(file, { token, path: '/home/me/firmware.hex', fileName: 'firmware.hex' });
    const store = createAppStore(bridge);
    await store.getState().openFile(file);
    expect(bridge.calls.find((call) => call.method === 'openImage')?.args[0]).toEqual({ kind: 'file', token });
    expect(JSON.stringify(bridge.calls.filter((call) => call.method !== 'grantFile'))).not.toContain('/home/me');
  });

  it('opens a recent raw binary by its token once the base address is chosen', async () => {
    const bridge = createFakeBridge();
    const store = createAppStore(bridge);
    const token = 'b1'.padEnd(32, '0');
    await store.getState().openRecent({ token, path: '/fw/app.bin', fileName: 'app.bin' });
    expect(store.getState().pendingBinary).toEqual({ fileName: 'app.bin', source: { kind: 'file', token } });
    await store.getState().confirmBaseAddress(0x0800_8000);
    expect(bridge.calls.find((call) => call.method === 'openImage')?.args[0]).toEqual({ kind: 'file', token, baseAddress: 0x0800_8000 });
  });

  it('sends the bytes when there is no path (plain browser)', async () => {
    const bridge = createFakeBridge();
    const store = createAppStore(bridge);
    await store.getState().openFile(fileNamed('app.dfu', new Uint8Array([9, 8, 7])));
    const source = bridge.calls.find((call) => call.method === 'openImage')?.args[0] as { kind: string; fileName: string; bytes: Uint8Array };
    expect(source.kind).toBe('bytes');
    expect(source.fileName).toBe('app.dfu');
    expect(Array.from(source.bytes)).toEqual([9, 8, 7]);
  });

  it('asks for the base address of a raw binary before opening it', async () => {
    const bridge = createFakeBridge();
    const store = createAppStore(bridge);
    await store.getState().openFile(fileNamed('app.bin'));
    expect(store.getState().pendingBinary?.fileName).toBe('app.bin');
    expect(bridge.calls.some((call) => call.method === 'openImage')).toBe(false);
    await store.getState().confirmBaseAddress(0x08004000);
    const source = bridge.calls.find((call) => call.method === 'openImage')?.args[0] as { baseAddress: number };
    expect(source.baseAddress).toBe(0x08004000);
    expect(store.getState().pendingBinary).toBeUndefined();
  });

  it('shows a failed open as a failure with the action', async () => {
    const bridge = createFakeBridge();
    bridge.answer('openImage', () => Promise.resolve({ ok: false, error: { kind: 'image-format', format: 'intel-hex', reason: 'bad checksum', line: 12 } }));
    const store = createAppStore(bridge);
    await store.getState().openFile(fileNamed('broken.hex'));
    expect(store.getState().failure).toEqual({ action: 'Open file', error: expect.objectContaining({ kind: 'image-format', line: 12 }) });
  });
});

describe('store: a flash job', () => {
  it('lays out the steps main announced, fills them from phase and progress events, and finishes with the result', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    let finish: (result: Result<JobResult>) => void = () => undefined;
    bridge.answer('program', () => new Promise<Result<JobResult>>((resolve) => (finish = resolve)));
    const store = createAppStore(bridge);
    await store.getState().start();
    const running = store.getState().program();
    // Nothing predicted: the stepper appears when main says the job started, with main's steps.
    expect(store.getState().job).toBeUndefined();
    const job = { kind: 'program' as const, deviceId: 'sim:1', done: 0, total: 0, startedAt: 5, phases: [] };
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info, image: hexImage, job }) });
    expect(store.getState().job?.order).toEqual([]);
    const announced = [
      { phase: 'erase' as const, bytes: 128 },
      { phase: 'write' as const, bytes: 96 },
      { phase: 'verify' as const, bytes: 96 },
    ];
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info, image: hexImage, job: { ...job, phases: announced } }) });
    expect(store.getState().job?.order).toEqual(['erase', 'write', 'verify']);
    expect(store.getState().job?.phases.write).toMatchObject({ status: 'pending', total: 96 });
    bridge.emit({ type: 'phase', phase: 'erase', status: 'start', deviceId: 'sim:1' });
    bridge.emit({ type: 'progress', phase: 'erase', deviceId: 'sim:1', done: 64, total: 128, bytesPerSecond: 1000, etaMs: 64 });
    expect(store.getState().job?.phases.erase).toMatchObject({ status: 'active', done: 64, total: 128, etaMs: 64 });
    bridge.emit({ type: 'phase', phase: 'erase', status: 'finish', deviceId: 'sim:1' });
    bridge.emit({ type: 'phase', phase: 'write', status: 'start', deviceId: 'sim:1' });
    expect(store.getState().job?.phases.erase?.status).toBe('done');
    expect(store.getState().job?.phases.verify?.status).toBe('pending');
    finish({ ok: true, value: { ...okResult(), ok: false, error: { kind: 'device-gone', during: 'write' } } as JobResult });
    await running;
    expect(store.getState().job?.isFinished).toBe(true);
    expect(store.getState().job?.phases.write?.status).toBe('failed');
  });

  it('shows no job for phase events that are not a job\'s (connecting a board)', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info }));
    const store = createAppStore(bridge);
    await store.getState().start();
    bridge.emit({ type: 'phase', phase: 'connect', status: 'start', deviceId: 'sim:1' });
    bridge.emit({ type: 'phase', phase: 'connect', status: 'finish', deviceId: 'sim:1' });
    expect(store.getState().job).toBeUndefined();
  });

  it('opens the diff viewer when a result with a verification mismatch arrives', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    const store = createAppStore(bridge);
    await store.getState().start();
    const verify = {
      isMatch: false,
      bytesCompared: 64,
      mismatchCount: 4,
      mismatchRanges: [{ start: 0x08000004, end: 0x08000008 }],
      firstMismatch: 0x08000004,
      sectorsWithMismatch: [0],
      missingBytes: 0,
      samples: [],
      diagnosis: { kind: 'not-erased' as const, message: 'not erased', evidence: 'old-kept' as const },
    };
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info, lastResult: okResult('program', { verify, finishedAt: 9000 }) }) });
    expect(store.getState().isDiffOpen).toBe(true);
  });

  it('asks for confirmation before a mass erase flash and before a flash that destroys data', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    bridge.answer('planProgram', () =>
      Promise.resolve({ ok: true, value: preview([{ ...plan, warnings: [{ kind: 'destroys-data', message: 'sector 521 holds data outside the image' }] }]) }),
    );
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    await store.getState().requestProgram();
    expect(store.getState().confirmation).toEqual({ kind: 'program', reasons: ['sector 521 holds data outside the image'], confirmations: [] });
    expect(bridge.calls.some((call) => call.method === 'program')).toBe(false);
    await store.getState().program();
    expect(store.getState().confirmation).toBeUndefined();
    expect(bridge.calls.some((call) => call.method === 'program')).toBe(true);
  });

  it("asks for the write policy's confirmations main lists, and passes back exactly those the user gave", async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    const otp = { kind: 'write-otp' as const, title: 'Write one-time programmable memory', consequence: 'writes 16 B into OTP Memory', isIrreversible: true, cliFlag: '--write-otp' };
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: { ...preview([plan]), confirmations: [otp] } }));
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    await store.getState().requestProgram();
    expect(store.getState().confirmation).toEqual({ kind: 'program', reasons: [], confirmations: [otp] });
    expect(bridge.calls.some((call) => call.method === 'program')).toBe(false);
    await store.getState().program(['write-otp']);
    expect(bridge.calls.find((call) => call.method === 'program')?.args[0]).toEqual({ options: { erase: 'touched', verify: true }, confirmed: ['write-otp'] });
  });

  it('flashes straight away when nothing beyond the image is lost', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image: hexImage }));
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: preview([plan]) }));
    const store = createAppStore(bridge);
    await store.getState().start();
    await flushed();
    await store.getState().requestProgram();
    expect(store.getState().confirmation).toBeUndefined();
    expect(bridge.calls.filter((call) => call.method === 'program')).toHaveLength(1);
  });
});

describe('destructiveReasons', () => {
  it('names mass erase, and ignores data loss the user chose to preserve', () => {
    const lossy = [{ ...plan, warnings: [{ kind: 'destroys-data' as const, message: 'loses data' }] }];
    expect(destructiveReasons({ erase: 'mass', verify: true }, [])).toHaveLength(1);
    expect(destructiveReasons({ erase: 'touched', verify: true }, lossy)).toEqual(['loses data']);
    expect(destructiveReasons({ erase: 'touched', verify: true, preserve: true }, lossy)).toEqual([]);
  });
});

describe('option bytes', () => {
  const decoded = {
    family: 'L0',
    address: 0x1ff80000,
    raw: new Uint8Array(0),
    rdpLevel: 0,
    warnings: [],
    fields: [
      { id: 'rdp', label: 'Read protection', description: '', group: 'read-protection', value: 0xaa, kind: 'enum', choices: [], editable: true },
      { id: 'bor', label: 'BOR level', description: '', group: 'user', value: 8, kind: 'number', editable: true },
    ],
  } as unknown as DecodedOptionBytes;

  it('tracks changed fields, drops edits back to the current value, and takes the confirmations from main', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, optionBytes: decoded }));
    const lock = { kind: 'permanent-lock' as const, title: 'Lock', consequence: 'for good', isIrreversible: true, cliFlag: '--permanently-lock-chip' };
    bridge.answer('planOptionBytesWrite', () => Promise.resolve({ ok: true, value: { address: 0x1ff80000, changes: [], confirmations: [lock] } }));
    const store = createAppStore(bridge);
    await store.getState().start();
    store.getState().setOptionDraft('bor', 9);
    expect(optionChanges(store.getState())).toEqual([{ id: 'bor', label: 'BOR level', from: 8, to: 9 }]);
    store.getState().setOptionDraft('bor', 8);
    expect(optionChanges(store.getState())).toEqual([]);
    store.getState().setOptionDraft('rdp', 0xcc);
    await store.getState().requestOptionBytesWrite();
    // The renderer does not decide what 0xCC means (it is level 1 on F1): main's answer does.
    expect(bridge.calls.find((call) => call.method === 'planOptionBytesWrite')?.args[0]).toEqual({ rdp: 0xcc });
    expect(store.getState().confirmation).toMatchObject({ kind: 'option-bytes', confirmations: [lock] });
  });

  it('passes the permanent-lock confirmation only when asked, and re-reads once the device is back', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, optionBytes: decoded }));
    const store = createAppStore(bridge);
    await store.getState().start();
    store.getState().setOptionDraft('bor', 9);
    bridge.answer('writeOptionBytes', () => {
      bridge.snapshot = { ...bridge.snapshot, lastResult: okResult('option-bytes-write', { finishedAt: 7000 }) };
      return Promise.resolve({ ok: true, value: bridge.snapshot.lastResult! });
    });
    bridge.answer('getSnapshot', () => Promise.resolve({ ok: true, value: baseSnapshot({ lastResult: bridge.snapshot.lastResult }) }));
    await store.getState().writeOptionBytes([]);
    expect(bridge.calls.find((call) => call.method === 'writeOptionBytes')?.args[0]).toEqual({ changes: { bor: 9 } });
    // The device is resetting (no device in the snapshot): nothing to read yet.
    expect(bridge.calls.some((call) => call.method === 'readOptionBytes')).toBe(false);
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info }) });
    expect(bridge.calls.some((call) => call.method === 'readOptionBytes')).toBe(true);
  });
});

describe('store: bytes of the last verification', () => {
  const FLASH = 0x08000000;
  const report: VerifyReport = {
    isMatch: false,
    bytesCompared: 0x20_0000,
    mismatchCount: 2,
    mismatchRanges: [
      { start: FLASH + 4, end: FLASH + 5 },
      { start: FLASH + 0x1f_0000, end: FLASH + 0x1f_0001 },
    ],
    firstMismatch: FLASH + 4,
    sectorsWithMismatch: [],
    missingBytes: 0,
    samples: [],
    diagnosis: { kind: 'unknown', message: 'differs' },
  };
  const failed = (finishedAt: number) => okResult('program', { verify: report, finishedAt });

  function servingBridge() {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, lastResult: failed(9000) }));
    const asked: AddressRange[] = [];
    const answers: ((value: Result<VerifyBytes>) => void)[] = [];
    bridge.answer('readVerifyBytes', (range) => {
      asked.push(range);
      return new Promise<Result<VerifyBytes>>((resolve) => answers.push(resolve));
    });
    const window = (range: AddressRange): Result<VerifyBytes> => {
      const length = range.end - range.start;
      return { ok: true, value: { start: range.start, expected: new Uint8Array(length).fill(1), actual: new Uint8Array(length), expectedRanges: [range], actualRanges: [range] } };
    };
    return { bridge, asked, answers, window };
  }

  it('fetches each aligned window once, however often and wherever in it rows are shown', async () => {
    const { bridge, asked, answers, window } = servingBridge();
    const store = createAppStore(bridge);
    await store.getState().start();
    const first = store.getState().loadVerifyWindows([FLASH, FLASH + 0x10, FLASH + 0x1f_0000]);
    const again = store.getState().loadVerifyWindows([FLASH + 0x20]);
    expect(asked).toEqual([
      { start: FLASH, end: FLASH + MAX_VERIFY_WINDOW_BYTES },
      { start: FLASH + 0x1f_0000, end: FLASH + 0x1f_0000 + MAX_VERIFY_WINDOW_BYTES },
    ]);
    answers.forEach((answer, index) => answer(window(asked[index]!)));
    await Promise.all([first, again]);
    const cache = store.getState().verifyBytes!;
    expect([...cache.windows.keys()]).toEqual([FLASH, FLASH + 0x1f_0000]);
    expect(cache.windows.get(FLASH)?.mask[0]).toBe(3);
    await store.getState().loadVerifyWindows([FLASH + 0x8000]);
    expect(asked).toHaveLength(2);
  });

  it('drops the windows when a new result arrives and ignores answers for the old one', async () => {
    const { bridge, asked, answers, window } = servingBridge();
    const store = createAppStore(bridge);
    await store.getState().start();
    const loading = store.getState().loadVerifyWindows([FLASH]);
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info, lastResult: failed(12_000) }) });
    answers[0]!(window(asked[0]!));
    await loading;
    expect(store.getState().verifyBytes).toBeUndefined();
    const reloading = store.getState().loadVerifyWindows([FLASH]);
    expect(asked).toHaveLength(2);
    answers[1]!(window(asked[1]!));
    await reloading;
    expect(store.getState().verifyBytes?.key).toBe('sim:1@12000');
    bridge.emit({ type: 'session', session: baseSnapshot({ device: l073Info, lastResult: okResult('erase', { finishedAt: 13_000 }) }) });
    expect(store.getState().verifyBytes).toBeUndefined();
  });

  it('keeps at most the window limit, the oldest going first', async () => {
    const { bridge, asked, answers, window } = servingBridge();
    const store = createAppStore(bridge);
    await store.getState().start();
    for (let index = 0; index <= VERIFY_WINDOW_LIMIT; index++) {
      const loading = store.getState().loadVerifyWindows([FLASH + index * MAX_VERIFY_WINDOW_BYTES]);
      answers[index]!(window(asked[index]!));
      await loading;
    }
    const starts = [...store.getState().verifyBytes!.windows.keys()];
    expect(starts).toHaveLength(VERIFY_WINDOW_LIMIT);
    expect(starts).not.toContain(FLASH);
    expect(starts).toContain(FLASH + VERIFY_WINDOW_LIMIT * MAX_VERIFY_WINDOW_BYTES);
  });

  it('remembers a refusal and stops asking', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, lastResult: failed(9000) }));
    const store = createAppStore(bridge);
    await store.getState().start();
    await store.getState().loadVerifyWindows([FLASH]);
    expect(store.getState().verifyBytes?.error).toMatchObject({ kind: 'invalid-argument' });
    await store.getState().loadVerifyWindows([FLASH + 0x1f_0000]);
    expect(bridge.calls.filter((call) => call.method === 'readVerifyBytes')).toHaveLength(1);
  });
});

describe('store: open file without a native dialog (a plain browser)', () => {
  it('clicks the page\'s file input inside the user\'s gesture instead of asking main for a dialog', async () => {
    const bridge = Object.assign(createFakeBridge(), { hasNativeDialogs: false });
    const store = createAppStore(bridge);
    let clicks = 0;
    registerFileInput({ click: () => (clicks += 1) } as unknown as HTMLInputElement);
    try {
      await store.getState().openDialog();
      expect(clicks).toBe(1);
      expect(bridge.calls.some((call) => call.method === 'openImage')).toBe(false);
    } finally {
      registerFileInput(null);
    }
  });
});
