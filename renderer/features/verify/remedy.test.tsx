// @vitest-environment happy-dom
// The remedy offered after a failed verification, from diagnoses made by the real diff engine.
import { describe, expect, it } from 'vitest';
import { act } from 'react';
import { diffImages, type DiffOptions } from '../../../core/image/diff.js';
import { MemoryImage } from '../../../core/image/memoryImage.js';
import { createAppStore } from '../../store.js';
import { baseSnapshot, createFakeBridge, hexImage, l073Info } from '../../testing/fakeBridge.js';
import { button, click, render } from '../../testing/render.js';
import { ResultPanel } from '../program/ResultPanel.js';
import { remedyFor } from './remedy.js';
import type { ImageSummary, JobResult } from '../../../core/contract/programmer.js';

const FLASH = 0x08000000;

function code(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 1 + ((x >>> 16) % 253);
  }
  return out;
}

function failed(expected: Uint8Array, actual: Uint8Array, options: Partial<DiffOptions> = {}, start = FLASH): JobResult {
  const verify = diffImages(MemoryImage.fromBytes(start, expected), MemoryImage.fromBytes(FLASH, actual), { erasedValue: 0x00, rewriteBehaviour: 'keep-old', ...options });
  return { kind: 'program', ok: false, deviceId: 'sim:1', error: { kind: 'verify-mismatch', firstAddress: verify.firstMismatch ?? 0, count: verify.mismatchCount, ranges: 1 }, timings: [], verify, finishedAt: 9000 };
}

const rawImage: ImageSummary = { ...hexImage, fileName: 'app.bin', format: 'binary', rawBase: { address: FLASH + 4, isChosen: true } };

describe('remedyFor', () => {
  const image = code(4096, 1);
  const old = code(4096, 2);

  it('un-erased sectors after a flash: flash again with erase (and without differential)', () => {
    const result = failed(image, old);
    expect(result.verify!.diagnosis.kind).toBe('not-erased');
    expect(remedyFor(result, hexImage, { erase: 'none', verify: true })).toMatchObject({ kind: 'flash', label: 'Flash again with erase', options: { erase: 'touched', differential: false, skipBlankSectors: false } });
  });

  it('other firmware found by a Verify only: flash this file', () => {
    const result = { ...failed(image, old, { context: 'verify-only' }), kind: 'verify' as const };
    expect(result.verify!.diagnosis.kind).toBe('different-firmware');
    expect(remedyFor(result, hexImage, { erase: 'touched', verify: true })).toMatchObject({ kind: 'flash', label: 'Flash firmware.hex' });
  });

  it('a raw binary placed 4 bytes high: open it again where the board holds its bytes; a HEX file is not moved', () => {
    const onBoard = code(8192, 3);
    const result = failed(onBoard.subarray(0, 4096), onBoard, { context: 'verify-only' }, FLASH + 4);
    expect(result.verify!.diagnosis).toMatchObject({ kind: 'shifted', offset: -4 });
    expect(remedyFor(result, rawImage, undefined)).toEqual({ kind: 'rebase', label: 'Open at 0x08000000', why: 'places app.bin where the board holds its bytes', baseAddress: FLASH });
    expect(remedyFor(result, hexImage, undefined)).toBeUndefined();
  });

  it('nothing to remedy after a match', () => {
    const match = failed(image, image);
    expect(match.verify!.isMatch).toBe(true);
    expect(remedyFor(match, hexImage, undefined)).toBeUndefined();
  });
});

describe('ResultPanel remedy', () => {
  it('"Flash again with erase" turns the erase on and flashes, once the new plan is known', async () => {
    const result = failed(code(4096, 1), code(4096, 2));
    const bridge = createFakeBridge(
      baseSnapshot({ devices: [l073Info], device: l073Info, image: hexImage, lastResult: result, settings: { ...baseSnapshot().settings, programOptions: { erase: 'none', verify: true } } }),
    );
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    const view = await render(<ResultPanel kinds={['program']} />, store);
    expect(view.container.textContent).toContain('Verification failed');
    await click(button(view.container, 'Flash again with erase'));
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    const methods = bridge.calls.map((call) => call.method);
    const update = bridge.calls.find((call) => call.method === 'updateSettings');
    expect(update?.args[0]).toEqual({ programOptions: { erase: 'touched', verify: true, differential: false, skipBlankSectors: false } });
    expect(methods.lastIndexOf('planProgram')).toBeGreaterThan(methods.indexOf('updateSettings'));
    expect(methods.indexOf('program')).toBeGreaterThan(methods.lastIndexOf('planProgram'));
    expect(bridge.calls.find((call) => call.method === 'program')?.args[0]).toEqual({ options: { erase: 'touched', verify: true, differential: false, skipBlankSectors: false } });
    view.unmount();
  });
});
