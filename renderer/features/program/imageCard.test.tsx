// @vitest-environment happy-dom
// The image card's "Save as", and the base-address question for every raw file (not only names
// ending in .bin), through the real store and a fake bridge.
import { describe, expect, it } from 'vitest';
import { act } from 'react';
import { createAppStore } from '../../store.js';
import { baseSnapshot, createFakeBridge, hexImage, l073Info } from '../../testing/fakeBridge.js';
import { button, click, render, type } from '../../testing/render.js';
import { ImageCard } from './ImageCard.js';
import { BaseAddressDialog } from './BaseAddressDialog.js';
import { PlanPreview } from './PlanPreview.js';
import { FIRMWARE_EXTENSIONS } from './DropTarget.js';
import { FORMAT_EXTENSIONS } from '../../../core/image/firmwareFile.js';
import type { ImageSummary, PlanSummary } from '../../../core/contract/programmer.js';

const TOKEN = 'b1b1b1b1'.padEnd(32, '0');

/** What main answers for a raw file it placed at the start of flash because nobody gave an address. */
function rawImage(fileName: string, patch: Partial<ImageSummary> = {}): ImageSummary {
  return {
    ...hexImage,
    fileName,
    path: `/work/${fileName}`,
    token: TOKEN,
    format: fileName.endsWith('.bin') ? 'binary' : 'binary-dfu-suffix',
    rawBase: { address: 0x08000000, isChosen: false },
    warnings: ['raw binary without addresses: placed at 0x08000000 (start of Internal Flash)'],
    loadedAt: 2000,
    ...patch,
  };
}

function openImageCalls(bridge: ReturnType<typeof createFakeBridge>): unknown[] {
  return bridge.calls.filter((call) => call.method === 'openImage').map((call) => call.args[0]);
}

describe('ImageCard: Save as', () => {
  it('offers each output format and asks main to save the loaded image as the one clicked', async () => {
    const bridge = createFakeBridge(baseSnapshot({ image: hexImage }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ImageCard image={hexImage} />, store);
    const group = view.container.querySelector('[role="group"][aria-label="Save as"]') as HTMLElement;
    expect([...group.querySelectorAll('button')].map((item) => item.textContent)).toEqual(['Intel HEX', 'S-record', 'Raw binary', 'DfuSe']);
    await click(button(group, 'S-record'));
    await click(button(group, 'DfuSe'));
    expect(bridge.calls.filter((call) => call.method === 'saveImageAs').map((call) => call.args[0])).toEqual(['srec', 'dfu']);
    expect(store.getState().notice).toBe('Saved to /tmp/blinky.srec');
    view.unmount();
  });

  it('shows a failed save as a failure and no notice', async () => {
    const bridge = createFakeBridge(baseSnapshot({ image: hexImage }));
    bridge.answer('saveImageAs', () => Promise.resolve({ ok: false, error: { kind: 'output-file', path: '/full/a.hex', folder: '/full', problem: 'disk-full', detail: 'ENOSPC' } }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ImageCard image={hexImage} />, store);
    await click(button(view.container, 'Intel HEX'));
    expect(store.getState().failure).toMatchObject({ action: 'Save as', error: { kind: 'output-file', problem: 'disk-full' } });
    expect(store.getState().notice).toBeUndefined();
    view.unmount();
  });

  it('says where a raw binary starts in the plan', async () => {
    const plan: PlanSummary = {
      alternate: 0, region: 'Internal Flash', eraseMode: 'touched', isDifferential: false, sectors: [], writeRanges: [], bytesToWrite: 256, imageBytes: 256,
      skippedChunks: 0, unchangedSectors: 0, blankCheck: false, verifyRanges: [], preserveRanges: [], warnings: [], estimatedMs: 100, text: '',
    };
    const image = rawImage('app.bin', { rawBase: { address: 0x08004000, isChosen: true } });
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image }));
    bridge.answer('planProgram', () => Promise.resolve({ ok: true, value: { plans: [plan], confirmations: [], warnings: [], baseAddress: 0x08004000 } }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<PlanPreview />, store);
    await act(() => Promise.resolve());
    expect(view.container.querySelector('[data-testid="plan-base-address"]')?.textContent).toContain('its first byte goes to 0x08004000');
    view.unmount();
  });
});

describe('ImageCard: an image of many blocks', () => {
  it('lists the first 32 blocks and counts the rest (a file may hold 262,144)', async () => {
    const blocks = Array.from({ length: 100 }, (_, i) => ({ start: 0x08000000 + 16 * i, end: 0x08000001 + 16 * i, crc32: i }));
    const image: ImageSummary = { ...hexImage, blocks, sizeBytes: 100 };
    const store = createAppStore(createFakeBridge(baseSnapshot({ image })));
    await act(() => store.getState().start());
    const view = await render(<ImageCard image={image} />, store);
    expect(view.container.querySelectorAll('.block-list li.mono')).toHaveLength(32);
    expect(view.container.querySelector('[data-testid="more-blocks"]')?.textContent).toContain('… and 68 more blocks');
    view.unmount();
  });
});

describe('the base-address question for any raw file', () => {
  it('asks after main placed a suffix-only .dfu (opened from a recent file or the menu) at the start of flash, prefilled with it', async () => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: rawImage('app.dfu') }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    expect(store.getState().pendingBinary).toEqual({ fileName: 'app.dfu', source: { kind: 'file', token: TOKEN }, isLoaded: true });
    const view = await render(<BaseAddressDialog />, store);
    const input = view.container.querySelector('input') as HTMLInputElement;
    expect(input.value).toBe('0x08000000');
    await type(input, '0x08004000');
    await click(button(view.container, 'Load at this address'));
    expect(openImageCalls(bridge)).toEqual([{ kind: 'file', token: TOKEN, baseAddress: 0x08004000 }]);
    expect(store.getState().pendingBinary).toBeUndefined();
    view.unmount();
  });

  it('keeps the file where main placed it when the user declines', async () => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info, image: rawImage('fw.img') }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<BaseAddressDialog />, store);
    await click(button(view.container, 'Keep at 0x08000000'));
    expect(store.getState().pendingBinary).toBeUndefined();
    expect(openImageCalls(bridge)).toEqual([]);
    view.unmount();
  });

  it('asks for sent bytes (a plain browser) and sends them again with the address', async () => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info }));
    const bytes = new Uint8Array([1, 2, 3, 4]);
    bridge.answer('openImage', () => Promise.resolve({ ok: true, value: rawImage('app.dfu', { token: undefined, path: undefined }) }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    await act(() => store.getState().openFile(new File([bytes], 'app.dfu')));
    expect(store.getState().pendingBinary).toMatchObject({ fileName: 'app.dfu', source: { kind: 'bytes' }, isLoaded: true });
    await act(() => store.getState().confirmBaseAddress(0x08008000));
    const second = openImageCalls(bridge)[1] as { kind: string; fileName: string; bytes: Uint8Array; baseAddress: number };
    expect(second).toMatchObject({ kind: 'bytes', fileName: 'app.dfu', baseAddress: 0x08008000 });
    expect([...second.bytes]).toEqual([1, 2, 3, 4]);
  });

  it('does not ask again for an address the user chose, nor for formats with addresses', async () => {
    for (const image of [rawImage('app.bin', { rawBase: { address: 0x08004000, isChosen: true } }), hexImage]) {
      const store = createAppStore(createFakeBridge(baseSnapshot({ device: l073Info, image })));
      await act(() => store.getState().start());
      expect(store.getState().pendingBinary).toBeUndefined();
    }
  });
});

describe('a binary whose name names no format', () => {
  const refusal = { kind: 'image-format' as const, format: 'file', file: 'fw.img', offset: 0, couldBeRawBinary: true as const, reason: 'the extension .img names no firmware format' };

  it('asks where it goes instead of failing, and opens it as a raw binary there', async () => {
    const bridge = createFakeBridge(baseSnapshot({ devices: [l073Info], device: l073Info }));
    let calls = 0;
    bridge.answer('openImage', () => Promise.resolve(calls++ === 0 ? { ok: false, error: { ...refusal, fileToken: TOKEN } } : { ok: true, value: rawImage('fw.img', { rawBase: { address: 0x08002000, isChosen: true } }) }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    // The native dialog picked it (no token in the window yet): the refusal brings one.
    await act(() => store.getState().openDialog());
    expect(store.getState().failure).toBeUndefined();
    expect(store.getState().pendingBinary).toEqual({ fileName: 'fw.img', source: { kind: 'file', token: TOKEN }, format: 'binary' });
    const view = await render(<BaseAddressDialog />, store);
    expect(view.container.textContent).toContain('fw.img has no firmware extension and its content is not text');
    await type(view.container.querySelector('input'), '0x08002000');
    await click(button(view.container, 'Load at this address'));
    expect(openImageCalls(bridge)).toEqual([{ kind: 'dialog' }, { kind: 'file', token: TOKEN, baseAddress: 0x08002000, format: 'binary' }]);
    view.unmount();
  });

  it('moves it to another address as a raw binary again (Change base address)', async () => {
    const image = rawImage('fw.img', { format: 'binary', rawBase: { address: 0x08002000, isChosen: true } });
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, image }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    await act(() => store.getState().rebaseImage(0x08004000));
    expect(openImageCalls(bridge)).toEqual([{ kind: 'file', token: TOKEN, baseAddress: 0x08004000, format: 'binary' }]);
  });

  it('a refusal for text stays a failure', async () => {
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info }));
    bridge.answer('openImage', () => Promise.resolve({ ok: false, error: { kind: 'image-format', format: 'file', file: 'notes.txt', line: 1, reason: 'text is never flashed as firmware' } }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    await act(() => store.getState().openFile(new File([new Uint8Array([0x41])], 'notes.txt')));
    expect(store.getState().pendingBinary).toBeUndefined();
    expect(store.getState().failure).toMatchObject({ action: 'Open file', error: { file: 'notes.txt' } });
  });
});

describe('the page\'s file picker', () => {
  it('offers every extension that names a firmware format', () => {
    const offered = FIRMWARE_EXTENSIONS.split(',');
    expect(offered.sort()).toEqual(Object.values(FORMAT_EXTENSIONS).flat().sort());
  });
});

