// @vitest-environment happy-dom
// A few behavioural component tests: what the user sees and can do, through the real store.
import { describe, expect, it } from 'vitest';
import { act } from 'react';
import { createAppStore } from './store.js';
import { baseSnapshot, createFakeBridge, hexImage, l073Info } from './testing/fakeBridge.js';
import { button, click, render, type } from './testing/render.js';
import { VirtualList } from './ui/VirtualList.js';
import { Tabs } from './ui/Tabs.js';
import { ErrorBox } from './ui/ErrorBox.js';
import { OptionBytesConfirm } from './features/optionBytes/OptionBytesConfirm.js';
import { ActionBar, FlashTab } from './features/program/FlashTab.js';
import { ProgramOptionsForm } from './features/program/ProgramOptionsForm.js';
import { writeNotes } from './features/program/PlanPreview.js';
import { DeviceInfoPanel } from './features/device/DeviceInfoPanel.js';
import { ResultPanel } from './features/program/ResultPanel.js';
import { DiffViewer } from './features/verify/DiffViewer.js';
import { LogPanel } from './features/log/LogPanel.js';
import { ReadBackTab } from './features/readBack/ReadBackTab.js';
import { App } from './App.js';
import { RDP2_PHRASE } from './text.js';
import type { JobResult, PlanSummary, VerifyReport } from '../core/contract/programmer.js';
import { decodeOptionBytes } from '../core/dfuse/optionBytes.js';
import { prepareOptionBytesWrite } from '../core/jobs/optionBytesJob.js';

describe('VirtualList', () => {
  it('puts only the visible rows of 131,072 in the DOM', async () => {
    const store = createAppStore(createFakeBridge());
    const view = await render(<VirtualList count={131_072} rowHeight={22} label="rows" renderRow={(index) => <span className="cell">{index}</span>} />, store);
    const rows = view.container.querySelectorAll('.cell');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    expect((view.container.querySelector('.virtual-spacer') as HTMLElement).style.height).toBe(`${131_072 * 22}px`);
    view.unmount();
  });
});

describe('ErrorBox', () => {
  it('asks for a report only for internal errors', async () => {
    const store = createAppStore(createFakeBridge());
    const internal = await render(<ErrorBox error={{ kind: 'internal', message: 'boom' }} />, store);
    expect(internal.container.textContent).toContain('Please report');
    internal.unmount();
    const user = await render(<ErrorBox error={{ kind: 'read-protected', during: 'upload' }} />, store);
    expect(user.container.textContent).toContain('The chip is read-protected');
    expect(user.container.textContent).not.toContain('Please report');
    user.unmount();
  });
});

describe('OptionBytesConfirm', () => {
  // The L0 factory block from the real decoder, and main's plan for RDP level 2 from core/jobs.
  const words = (...values: number[]) => Uint8Array.from(values.flatMap((value) => [0, 8, 16, 24].map((shift) => (value >>> shift) & 0xff)));
  const optionBytes = decodeOptionBytes('L0', 0x1ff80000, words(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000));

  it('keeps the lock button disabled until the phrase is typed, then sends the confirmation', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, optionBytes }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    act(() => store.getState().setOptionDraft('rdp', 0xcc));
    const plan = prepareOptionBytesWrite([optionBytes], { rdp: 0xcc });
    expect(plan.confirmations.map((c) => c.kind)).toEqual(['permanent-lock']);
    const view = await render(<OptionBytesConfirm changes={plan.changes} confirmations={plan.confirmations} />, store);
    const lockButton = button(view.container, 'Lock the chip forever')!;
    expect(view.container.textContent).toContain('Level 0: no protection');
    expect(view.container.textContent).toContain('Level 2: debug and bootloader disabled for good (irreversible)');
    expect(lockButton.disabled).toBe(true);
    await type(view.container.querySelector('.banner input'), 'lock it');
    expect(lockButton.disabled).toBe(true);
    await type(view.container.querySelector('.banner input'), RDP2_PHRASE);
    expect(lockButton.disabled).toBe(false);
    await click(lockButton);
    expect(bridge.calls.find((call) => call.method === 'writeOptionBytes')?.args[0]).toEqual({ changes: { rdp: 0xcc }, confirmed: ['permanent-lock'] });
    view.unmount();
  });
});

describe('ResultPanel after a read-protection change', () => {
  it('says once, plainly, that the chip is now read-protected or locked for good', async () => {
    for (const [level, words] of [
      [1, 'The chip is now read-protected (level 1)'],
      [2, 'The chip is now permanently locked (level 2)'],
    ] as const) {
      const lastResult: JobResult = { kind: 'option-bytes-write', ok: true, deviceId: 'sim:1', timings: [], readProtection: level, finishedAt: 1 };
      const store = createAppStore(createFakeBridge(baseSnapshot({ lastResult })));
      await act(() => store.getState().start());
      const view = await render(<ResultPanel kinds={['option-bytes-write']} />, store);
      expect(view.container.querySelector('[data-testid="read-protection-ending"]')?.textContent).toContain(words);
      view.unmount();
    }
  });
});

describe('ResultPanel after a flash', () => {
  it('names the file with its CRC and says what was written, skipped and left alone, also when the flash failed', async () => {
    const firmware = { fileName: 'app.hex', crc32: 0x1a2b3c4d, imageBytes: 66_748, work: { bytesWritten: 3_260, sectorsErased: 384, sectorsBlank: 138, skippedChunks: 12, unchangedSectors: 0 } };
    const ok: JobResult = { kind: 'program', ok: true, deviceId: 'sim:1', firmware, timings: [], finishedAt: 1 };
    const store = createAppStore(createFakeBridge(baseSnapshot({ device: l073Info, lastResult: ok })));
    await act(() => store.getState().start());
    const view = await render(<ResultPanel kinds={['program']} />, store);
    expect(view.container.querySelector('[data-testid="result-firmware"]')?.textContent).toBe(
      'app.hex (CRC-32 0x1A2B3C4D, 66,748 B); wrote 3,260 B of 66,748 B, erased 384 sectors; 138 sectors already blank, not erased; 12 chunks held only the erased value and were not sent',
    );
    view.unmount();
    const failed: JobResult = { kind: 'program', ok: false, deviceId: 'sim:1', firmware: { fileName: 'app.hex', crc32: 1, imageBytes: 10 }, error: { kind: 'cancelled', during: 'write' }, timings: [], finishedAt: 2 };
    const failedStore = createAppStore(createFakeBridge(baseSnapshot({ device: l073Info, lastResult: failed })));
    await act(() => failedStore.getState().start());
    const failedView = await render(<ResultPanel kinds={['program']} />, failedStore);
    expect(failedView.container.querySelector('[data-testid="result-firmware"]')?.textContent).toBe('app.hex (CRC-32 0x00000001, 10 B)');
    failedView.unmount();
  });
});

describe('FlashTab', () => {
  it('shows the plan and flashes with one click', async () => {
    const plan: PlanSummary = {
      alternate: 0,
      region: 'Internal Flash',
      eraseMode: 'touched',
      isDifferential: false,
      sectors: Array.from({ length: 522 }, (_, index) => ({ index, start: 0x08000000 + index * 128, end: 0x08000080 + index * 128 })),
      writeRanges: [{ start: 0x08000000, end: 0x08000000 + 66_748 }],
      bytesToWrite: 66_748,
      imageBytes: 66_748,
      skippedChunks: 0,
      unchangedSectors: 0,
      blankCheck: true,
      verifyRanges: [{ start: 0x08000000, end: 0x08000000 + 66_748 }],
      preserveRanges: [],
      warnings: [],
      estimatedMs: 7200,
      text: '',
    };
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: hexImage }));
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: { plans: [plan], confirmations: [], warnings: [] } }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(
      <>
        <FlashTab />
        <ActionBar />
      </>,
      store,
    );
    const text = view.container.textContent ?? '';
    expect(text).toContain('erase 522 sectors (0–521, 0x08000000–0x08010500)');
    expect(text).toContain('write 66,748 B');
    expect(text).toContain('Each sector is read before its erase; one that reads blank needs no erase and is left alone.');
    expect(text).toContain('Estimated 7.2 s');
    // The action bar says the same in one line, next to the one button.
    expect(view.container.querySelector('[data-testid="action-summary"]')?.textContent).toBe('erase 522 sectors, write 66,748 B');
    await click(button(view.container, 'Flash'));
    expect(bridge.calls.filter((call) => call.method === 'program').map((call) => call.args[0])).toEqual([{ options: { erase: 'touched', verify: true } }]);
    view.unmount();
  });
});

describe('flash size and device notes (STM32L072xB: the bootloader describes 192 KiB for 128 KiB)', () => {
  const note = 'If this is an STM32L072xB/L082xB (128 KiB of flash), its bootloader describes 192 KiB like the 192 KiB L072xZ/L073xZ/L082xZ/L083xZ.';
  const l072Info = { ...l073Info, quirks: ['descriptor-overstates-flash' as const], notes: [note] };
  // What main's bootloaderKey() gives for these devices (core/dfuse/bootloaderKey.ts).
  const l0Key = '0483:df11:2200:@Internal Flash  /0x08000000/1536*128 g';
  const f4Key = '0483:df11:2200:@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';

  it('shows the flash size field only when the device notes an overstatement, and saves whole KiB on Enter', async () => {
    const plain = createAppStore(createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: hexImage })));
    await act(() => plain.getState().start());
    const without = await render(<FlashTab />, plain);
    expect(without.container.querySelector('input[aria-label="Real flash size in KiB"]')).toBeNull();
    without.unmount();

    const bridge = createFakeBridge(baseSnapshot({ devices: [l072Info], device: l072Info, bootloaderKey: l0Key, image: hexImage }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<FlashTab />, store);
    const input = view.container.querySelector<HTMLInputElement>('input[aria-label="Real flash size in KiB"]');
    expect(input?.placeholder).toBe('192');
    expect(view.container.textContent).toContain('The bootloader says 192 KiB; smaller parts say the same (Device tab).');
    await type(input, '12x');
    expect(input?.getAttribute('aria-invalid')).toBe('true');
    await type(input, '128');
    await act(() => Promise.resolve(input!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))));
    expect(bridge.calls.filter((call) => call.method === 'updateSettings').map((call) => call.args[0])).toEqual([
      { flashSizeLimits: { [l0Key]: 128 * 1024 } },
    ]);
    expect(input?.value).toBe('128');
    view.unmount();

    // The flash-size register was read at connect: main applies what it says, no field to fill.
    const measured = { ...l072Info, flashSizeBytes: 128 * 1024 };
    const measuredStore = createAppStore(createFakeBridge(baseSnapshot({ devices: [measured], device: measured, bootloaderKey: l0Key, image: hexImage })));
    await act(() => measuredStore.getState().start());
    const measuredView = await render(<FlashTab />, measuredStore);
    expect(measuredView.container.querySelector('input[aria-label="Real flash size in KiB"]')).toBeNull();
    measuredView.unmount();
  });

  it('shows the size saved for the connected bootloader only, and stays hidden on a device of another kind', async () => {
    const f405Info = { ...l073Info, id: 'sim:2', alternates: [{ ...l073Info.alternates[0]!, descriptor: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg' }] };
    const settings = { ...baseSnapshot().settings, flashSizeLimits: { [l0Key]: 128 * 1024 } };
    const bridge = createFakeBridge(baseSnapshot({ devices: [f405Info, l073Info], device: f405Info, bootloaderKey: f4Key, image: hexImage, settings }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<FlashTab />, store);
    const field = () => view.container.querySelector<HTMLInputElement>('input[aria-label="Real flash size in KiB"]');
    expect(field()).toBeNull();
    // A plain L073 (no note) with the same bootloader: shown, so the saved size can be cleared.
    await act(() => Promise.resolve(bridge.emit({ type: 'session', session: { ...bridge.snapshot, device: l073Info, bootloaderKey: l0Key } })));
    expect(field()?.value).toBe('128');
    await type(field(), '');
    await act(() => Promise.resolve(field()!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))));
    expect(bridge.calls.filter((call) => call.method === 'updateSettings').map((call) => call.args[0])).toEqual([{ flashSizeLimits: {} }]);
    expect(field()).toBeNull();
    view.unmount();
  });

  it('the Device tab shows the notes as plain text, apart from the warnings', async () => {
    const store = createAppStore(createFakeBridge(baseSnapshot({ devices: [l072Info], device: { ...l072Info, warnings: ['a real warning'] } })));
    await act(() => store.getState().start());
    const view = await render(<DeviceInfoPanel />, store);
    const notes = view.container.querySelector('section[aria-label="Notes"]');
    expect(notes?.textContent).toContain(note);
    expect(notes?.querySelector('.warning-text')).toBeNull();
    expect([...view.container.querySelectorAll('.warning-text')].map((element) => element.textContent)).toEqual(['a real warning']);
    view.unmount();
  });
});

describe('Tabs', () => {
  it('moves with the arrow keys and skips disabled tabs', async () => {
    const store = createAppStore(createFakeBridge());
    const selected: string[] = [];
    const items = [
      { id: 'flash', label: 'Flash' },
      { id: 'memory', label: 'Memory', isDisabled: true },
      { id: 'device', label: 'Device' },
    ];
    const view = await render(<Tabs items={items} selected="flash" onSelect={(id) => selected.push(id)} label="views" />, store);
    const list = view.container.querySelector('[role="tablist"]')!;
    await act(() => Promise.resolve(list.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }))));
    await act(() => Promise.resolve(list.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))));
    expect(selected).toEqual(['device', 'device']);
    expect(view.container.querySelector('[aria-selected="true"]')?.getAttribute('tabindex')).toBe('0');
    view.unmount();
  });
});

describe('ResultPanel', () => {
  it('says why the flash failed after the board vanished mid-write, from main\'s snapshot', async () => {
    const gone: JobResult = { kind: 'program', ok: false, deviceId: 'sim:1', error: { kind: 'device-gone', during: 'write' }, timings: [], finishedAt: 6000 };
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: hexImage }));
    // Main deselects the vanished board and keeps the result in its snapshot.
    bridge.answer('program', () => {
      bridge.snapshot = baseSnapshot({ devices: [], image: hexImage, lastResult: gone });
      return Promise.resolve({ ok: true, value: gone });
    });
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ResultPanel kinds={['program']} />, store);
    await act(() => store.getState().program());
    expect(view.container.textContent).toContain('The device was disconnected');
    expect(view.container.textContent).toContain('during write');
    view.unmount();
  });
});

describe('DiffViewer', () => {
  const FLASH = 0x08000000;
  const size = 0x20000;
  const expected = new Uint8Array(size).map((_, index) => (index * 7) & 0xff);
  const actual = expected.slice();
  // Differences near the start (sampled) and one far beyond the samples, in another window.
  for (const offset of [4, 0x40, 0x1_f123]) actual[offset] = actual[offset]! ^ 0xff;
  const report: VerifyReport = {
    isMatch: false,
    bytesCompared: size,
    mismatchCount: 3,
    mismatchRanges: [4, 0x40, 0x1_f123].map((offset) => ({ start: FLASH + offset, end: FLASH + offset + 1 })),
    firstMismatch: FLASH + 4,
    sectorsWithMismatch: [],
    missingBytes: 0,
    samples: [{ address: FLASH, expected: expected.slice(0, 32), actual: actual.slice(0, 32) }],
    diagnosis: { kind: 'unknown', message: 'the bytes differ' },
  };
  const result: JobResult = { kind: 'program', ok: false, deviceId: 'sim:1', error: { kind: 'verify-mismatch', firstAddress: FLASH + 4, count: 3, ranges: 3 }, timings: [], verify: report, finishedAt: 9000 };

  it('fetches the bytes of a late difference that is not in the samples when the user jumps to it', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, lastResult: result }));
    bridge.answer('readVerifyBytes', (range) => {
      const from = range.start - FLASH;
      const to = range.end - FLASH;
      const inImage = { start: Math.max(range.start, FLASH), end: Math.min(range.end, FLASH + size) };
      const pad = (bytes: Uint8Array) => {
        const out = new Uint8Array(range.end - range.start);
        out.set(bytes.subarray(Math.max(0, from), Math.min(size, to)), Math.max(0, -from));
        return out;
      };
      return Promise.resolve({ ok: true, value: { start: range.start, expected: pad(expected), actual: pad(actual), expectedRanges: [inImage], actualRanges: [inImage] } });
    });
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<DiffViewer />, store);
    await act(() => Promise.resolve());
    const status = () => view.container.querySelector('.diff-nav [aria-live]')?.textContent ?? '';
    expect(status()).toContain('Difference 1 of 3 at 0x08000004');
    const current = () => view.container.querySelector('.diff-row.current');
    expect(current()?.getAttribute('data-address')).toBe(String(FLASH));
    expect(current()?.querySelectorAll('.byte.differs')).toHaveLength(2);

    await act(() => Promise.resolve(window.dispatchEvent(new KeyboardEvent('keydown', { key: 'p' }))));
    await act(() => Promise.resolve());
    expect(status()).toContain('Difference 3 of 3 at 0x0801F123');
    expect(current()?.getAttribute('data-address')).toBe(String(FLASH + 0x1_f120));
    const differing = current()!.querySelectorAll('.byte.differs');
    expect([...differing].map((cell) => cell.textContent)).toEqual([
      (expected[0x1_f123]!).toString(16).toUpperCase().padStart(2, '0'),
      (actual[0x1_f123]!).toString(16).toUpperCase().padStart(2, '0'),
    ]);
    const asked = bridge.calls.filter((call) => call.method === 'readVerifyBytes').map((call) => (call.args[0] as { start: number }).start);
    // The window before the image holds the context rows above the first difference.
    expect(asked).toEqual([FLASH - 0x1_0000, FLASH, FLASH + 0x1_0000]);
    view.unmount();
  });

  it('falls back to the samples when main cannot serve the bytes', async () => {
    const store = createAppStore(createFakeBridge(baseSnapshot({ device: l073Info, lastResult: result })));
    await act(() => store.getState().start());
    const view = await render(<DiffViewer />, store);
    await act(() => Promise.resolve());
    expect(view.container.textContent).toContain('Only the samples in the report are shown');
    expect(view.container.querySelector('.diff-nav [aria-live]')?.textContent).toContain('Difference 1 of 1 sampled');
    view.unmount();
  });
});

describe('access denied', () => {
  it.each([
    ['win32', /Zadig.*WinUSB/],
    ['linux', /udev rule.*50-dfu-desk\.rules.*udevadm control/],
    ['darwin', /macOS needs no driver/],
  ] as const)('shows the %s driver fix when connecting fails, and keeps it in the empty device list', async (platform, fix) => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info] }));
    bridge.answer('connect', () => Promise.resolve({ ok: false, error: { kind: 'access-denied', platform, detail: 'LIBUSB_ERROR_ACCESS' } }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<App />, store);
    await click(view.container.querySelector(`[data-device-id="${l073Info.id}"]`));
    const failure = [...view.container.querySelectorAll('.error-box')].find((box) => box.textContent?.includes('Connect: No permission to open the USB device'));
    expect(failure?.querySelector('.error-hint')?.textContent).toMatch(fix);
    // The user unplugs the board to apply the fix: the empty list still says what to do.
    await act(() => Promise.resolve(bridge.emit({ type: 'session', session: baseSnapshot({ devices: [] }) })));
    const picker = view.container.querySelector('nav[aria-label="Devices"]');
    expect(picker?.textContent).toContain('No DFU device connected');
    expect(picker?.querySelector('[role="alert"]')?.textContent).toMatch(fix);
    view.unmount();
  });
});

describe('ReadBackTab', () => {
  it('takes a length of "64K", as the CLI does, and reads 65,536 bytes', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ReadBackTab />, store);
    const [, length] = [...view.container.querySelectorAll('input.input.mono')];
    await type(length, '64K');
    const read = button(view.container, /^Read /)!;
    expect(read.disabled).toBe(false);
    expect(read.textContent).toBe('Read 64 KiB');
    await click(read);
    expect(bridge.calls.find((call) => call.method === 'readMemory')?.args[0]).toMatchObject({ start: 0x08000000, length: 65536 });
    view.unmount();
  });
});

describe('ErrorBox for bootloader errors', () => {
  it('names the DFU status and state and gives advice that can work (errERASE: protection or the real flash size)', async () => {
    const store = createAppStore(createFakeBridge());
    const view = await render(<ErrorBox error={{ kind: 'device-status', status: 4, state: 10, during: 'erase' }} />, store);
    const text = view.container.textContent ?? '';
    expect(text).toContain('The bootloader reported errERASE (dfuERROR)');
    expect(text).toContain('write-protected');
    expect(text).toContain('Real flash size');
    // The raw numbers stay in the details only, not in what the user reads first.
    expect(view.container.querySelector('.error-title')?.textContent).not.toMatch(/status: 4|state: 10/);
    view.unmount();
  });
});

describe('ProgramOptionsForm: "Leave blank sectors alone"', () => {
  const checkbox = (container: HTMLElement) =>
    [...container.querySelectorAll('label')].find((label) => label.textContent?.includes('Leave blank sectors alone'))!.querySelector('input')!;

  it('is off and disabled where the chip always erases (L0: flash with ECC), and says why', async () => {
    const store = createAppStore(createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: hexImage })));
    await act(() => store.getState().start());
    const view = await render(<ProgramOptionsForm isDisabled={false} />, store);
    expect(checkbox(view.container)).toMatchObject({ checked: false, disabled: true });
    expect(checkbox(view.container).closest('label')!.title).toContain('always erased');
    view.unmount();
  });

  it('is on where the family allows it (F4), and unchecking it saves skipBlankSectors: false', async () => {
    const f4 = { ...l073Info, family: 'F4' as const, canLeaveBlankSectors: true };
    const bridge = createFakeBridge(baseSnapshot({ devices: [f4], device: f4, image: hexImage }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ProgramOptionsForm isDisabled={false} />, store);
    expect(checkbox(view.container)).toMatchObject({ checked: true, disabled: false });
    await click(checkbox(view.container));
    expect(bridge.calls.filter((call) => call.method === 'updateSettings').map((call) => call.args[0])).toEqual([
      { programOptions: { erase: 'touched', verify: true, skipBlankSectors: false } },
    ]);
    view.unmount();
  });
});

describe('PlanPreview: what fewer written bytes mean', () => {
  it('says how many chunks hold only the erased value and how many sectors already match', () => {
    const base = { alternate: 0, region: 'Internal Flash', eraseMode: 'touched' as const, blankCheck: false, sectors: [], writeRanges: [], verifyRanges: [], preserveRanges: [], warnings: [], estimatedMs: 0, text: '' };
    expect(writeNotes({ ...base, isDifferential: false, bytesToWrite: 3260, imageBytes: 66_748, skippedChunks: 497, unchangedSectors: 0 })).toEqual([
      '497 chunks of the image hold only the erased value; they are not sent, because the erase leaves those bytes so (verification still checks them).',
    ]);
    expect(writeNotes({ ...base, isDifferential: true, bytesToWrite: 144, imageBytes: 66_748, skippedChunks: 0, unchangedSectors: 523 })).toEqual([
      '523 sectors already hold the image and are left alone; only the sectors that differ are erased and written.',
    ]);
    expect(writeNotes({ ...base, isDifferential: false, bytesToWrite: 64, imageBytes: 64, skippedChunks: 0, unchangedSectors: 0 })).toEqual([]);
  });

  it('says which partly covered sectors were read and found blank (nothing lost), and nothing about unknown ones', () => {
    const base = { alternate: 0, region: 'Internal Flash', eraseMode: 'touched' as const, blankCheck: false, sectors: [], writeRanges: [], verifyRanges: [], preserveRanges: [], warnings: [], estimatedMs: 0, text: '' };
    const counts = { isDifferential: false, bytesToWrite: 64, imageBytes: 64, skippedChunks: 0, unchangedSectors: 0 };
    const sector = { index: 521, start: 0x08010480, end: 0x08010500, where: 'tail' as const };
    expect(writeNotes({ ...base, ...counts, partialSectors: [{ ...sector, state: 'blank' }] })).toEqual(['Sector 521 tail is blank: nothing lost (read from the device).']);
    expect(writeNotes({ ...base, ...counts, partialSectors: [{ ...sector, state: 'unknown' }] })).toEqual([]);
    expect(writeNotes({ ...base, ...counts, partialSectors: [{ ...sector, state: 'data', lostBytes: 68 }] })).toEqual([]);
  });
});

describe('LogPanel', () => {
  it('shows a clicked entry whole, copies just that entry, and resizes from the keyboard', async () => {
    const long = `${'a very long message '.repeat(20)}end`;
    const bridge = createFakeBridge();
    bridge.answer('getLog', () => Promise.resolve({ ok: true, value: [{ time: 0, level: 'info', topic: 'usb', message: long, deviceId: 'sim:1' }] }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const written: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: (text: string) => Promise.resolve(void written.push(text)) }, configurable: true });
    const view = await render(<LogPanel />, store);
    await click(view.container.querySelector('.log-line'));
    expect(view.container.querySelector('[data-testid="log-entry-text"]')?.textContent).toContain(`${long}`);
    await click(button(view.container, 'Copy entry'));
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('[sim:1]');
    expect(written[0]).toContain('end');
    const handle = view.container.querySelector('[role="separator"]')!;
    const before = Number.parseFloat((view.container.querySelector('#log-body') as HTMLElement).style.height || '0');
    await act(() => {
      handle.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
      return Promise.resolve();
    });
    const after = Number.parseFloat((view.container.querySelector('#log-body') as HTMLElement).style.height);
    expect(after).toBeGreaterThan(before);
    view.unmount();
  });
});
