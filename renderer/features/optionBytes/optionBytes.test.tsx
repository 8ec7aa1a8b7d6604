// @vitest-environment happy-dom
// The option-byte table from the real decoder's output (core), for every layout: each 1-bit field
// shows its meaning in words, its editor offers the meanings (never a bare checkbox), and picking
// one puts into the draft the bit value core writes for that meaning. Mask fields offer one box
// per sector, named by address. The confirmation shows main's words and needs each box ticked.
import { describe, expect, it } from 'vitest';
import { act } from 'react';
import { decodeOptionBytes, encodeOptionBytes, optionByteLayouts } from '../../../core/dfuse/optionBytes.js';
import { parseMemoryLayout } from '../../../core/dfuse/memoryLayout.js';
import { prepareOptionBytesWrite } from '../../../core/jobs/optionBytesJob.js';
import { createAppStore } from '../../store.js';
import { baseSnapshot, createFakeBridge, l073Info } from '../../testing/fakeBridge.js';
import { button, click, render } from '../../testing/render.js';
import { OptionFieldRow } from './OptionFieldRow.js';
import { OptionBytesConfirm } from './OptionBytesConfirm.js';
import type { DecodedOptionBytes } from '../../../core/contract/programmer.js';

const F42X_FLASH = parseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg').region;

function block(family: DecodedOptionBytes['family'], address: number, size: number): DecodedOptionBytes {
  const raw = Uint8Array.from({ length: Math.max(size, 48) }, (_, index) => (index * 37 + 0x55) & 0xff);
  return decodeOptionBytes(family, address, raw, { flash: F42X_FLASH });
}

async function changeSelect(select: HTMLSelectElement, value: string): Promise<void> {
  await act(() => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    return Promise.resolve();
  });
}

describe('OptionFieldRow over every layout', () => {
  for (const layout of optionByteLayouts()) {
    const family = layout.families[0]!;
    const decoded = block(family, layout.address, layout.size);
    const oneBit = decoded.fields.filter((field) => field.maxValue === 1);
    if (oneBit.length === 0) continue;
    it(`${layout.title}: meanings shown and offered, and the draft is the bit core writes for the chosen meaning`, async () => {
      const store = createAppStore(createFakeBridge(baseSnapshot({ optionBytes: decoded })));
      await act(() => store.getState().start());
      for (const field of oneBit) {
        const view = await render(
          <table>
            <tbody>
              <OptionFieldRow field={field} isDisabled={false} />
            </tbody>
          </table>,
          store,
        );
        expect(view.container.querySelector('[data-testid="field-meaning"]')?.textContent, field.id).toBe(field.meaning);
        expect(view.container.textContent).toContain(field.bitName);
        expect(view.container.querySelector('input[type="checkbox"]'), field.id).toBeNull();
        if (field.editable) {
          const select = view.container.querySelector('select')!;
          const offered = [...select.options].map((option) => option.textContent);
          expect(offered, field.id).toEqual(field.choices!.map((choice) => choice.label));
          const other = field.choices!.find((choice) => choice.value !== field.value)!;
          const option = [...select.options].find((candidate) => candidate.textContent === other.label)!;
          await changeSelect(select, option.value);
          const draft = store.getState().optionDraft[field.id]!;
          // What core writes for this draft reads back as the meaning the user picked.
          const written = decodeOptionBytes(family, layout.address, encodeOptionBytes(decoded, { [field.id]: draft }, { permanentlyLockChip: true, iUnderstandTheFlashIsErased: true }), { flash: F42X_FLASH });
          expect(written.fields.find((candidate) => candidate.id === field.id)!.meaning, field.id).toBe(other.label);
          act(() => store.getState().setOptionDraft(field.id, undefined));
        } else {
          expect(view.container.textContent).toContain('read-only');
        }
        view.unmount();
      }
    });
  }

  it('offers one box per F4 sector, named by address, and sets the bit with the decoder polarity', async () => {
    const decoded = decodeOptionBytes('F4', 0x1fffc000, Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]), { flash: F42X_FLASH });
    const nwrp = decoded.fields.find((field) => field.id === 'nwrp')!;
    const store = createAppStore(createFakeBridge(baseSnapshot({ optionBytes: decoded })));
    const view = await render(
      <table>
        <tbody>
          <OptionFieldRow field={nwrp} isDisabled={false} />
        </tbody>
      </table>,
      store,
    );
    const boxes = [...view.container.querySelectorAll('label.unit')];
    expect(boxes).toHaveLength(12);
    expect(boxes[1]!.textContent).toBe(' Write-protect Sector 1 (0x08004000-0x08007FFF)');
    await click(boxes[1]!.querySelector('input'));
    // nWRP: a 0 bit protects.
    expect(store.getState().optionDraft.nwrp).toBe(0xffd);
    view.unmount();
  });
});

describe('OptionBytesConfirm with main\'s plan', () => {
  const words = (...values: number[]) => Uint8Array.from(values.flatMap((value) => [0, 8, 16, 24].map((shift) => (value >>> shift) & 0xff)));
  const l0 = decodeOptionBytes('L0', 0x1ff80000, words(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000));

  it('shows each change in words and needs the lock-out box ticked before writing', async () => {
    const plan = prepareOptionBytesWrite([l0], { iwdg_sw: 0, wprmod: 1 });
    const bridge = createFakeBridge(baseSnapshot({ device: l073Info, optionBytes: l0 }));
    const store = createAppStore(bridge);
    await act(() => store.getState().start());
    act(() => store.getState().setOptionDraft('iwdg_sw', 0));
    act(() => store.getState().setOptionDraft('wprmod', 1));
    const view = await render(<OptionBytesConfirm changes={plan.changes} confirmations={plan.confirmations} />, store);
    const text = view.container.textContent ?? '';
    expect(text).toContain('Software watchdog (started by firmware) (0x1)');
    expect(text).toContain('Hardware watchdog (starts at reset) (0x0)');
    expect(text).toContain('WPRMOD = 1 makes the sectors selected in WRPROT read-protected');
    const write = button(view.container, 'Write option bytes')!;
    expect(write.disabled).toBe(true);
    await click(view.container.querySelector('[data-testid="confirm-option-lockout"] input'));
    expect(write.disabled).toBe(false);
    await click(write);
    expect(bridge.calls.find((call) => call.method === 'writeOptionBytes')?.args[0]).toEqual({ changes: { iwdg_sw: 0, wprmod: 1 }, confirmed: ['option-lockout'] });
    view.unmount();
  });
});
