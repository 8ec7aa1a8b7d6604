import { useState } from 'react';
import { useApp } from '../../storeContext.js';
import { Dialog } from '../../ui/Dialog.js';
import { ConfirmationChecks } from '../../ui/ConfirmationChecks.js';
import { RDP2_PHRASE, texts } from '../../text.js';
import type { PlannedOptionChange } from '../../store.js';
import type { Confirmation } from '../../../core/contract/programmer.js';

const hexOf = (value: number) => `0x${(value >>> 0).toString(16).toUpperCase()}`;

/**
 * The summary before writing, with what main says the change needs confirmed (core/jobs): RDP
 * level 2 additionally needs the phrase typed exactly; lowering RDP says that it erases the flash.
 */
export function OptionBytesConfirm({ changes, confirmations }: { changes: readonly PlannedOptionChange[]; confirmations: readonly Confirmation[] }) {
  const isPermanentLock = confirmations.some((c) => c.kind === 'permanent-lock');
  const write = useApp((state) => state.writeOptionBytes);
  const close = useApp((state) => state.closeConfirmation);
  const [phrase, setPhrase] = useState('');
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const isPhraseOk = phrase.trim().toLowerCase() === RDP2_PHRASE;
  const others = confirmations.filter((c) => c.kind !== 'permanent-lock');
  const isEveryBoxTicked = others.every((c) => ticked.has(c.kind));
  return (
    <Dialog title={isPermanentLock ? 'Permanently lock this chip?' : 'Write option bytes?'} onClose={close}>
      <table className="option-table">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Now</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.id} className="changed">
              <th scope="row">{change.label}</th>
              <td>
                {change.fromMeaning} <span className="muted mono">({hexOf(change.from)})</span>
              </td>
              <td>
                {change.toMeaning} <span className="muted mono">({hexOf(change.to)})</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">The device resets after the write and reconnects.</p>
      <ConfirmationChecks confirmations={others} ticked={ticked} onChange={setTicked} />
      {isPermanentLock && (
        <div className="banner danger">
          <div>
            <p>
              <strong>{texts.rdp2Explanation}</strong>
            </p>
            <label className="field-label">
              Type “{RDP2_PHRASE}” to confirm
              <input className="input" value={phrase} onChange={(event) => setPhrase(event.target.value)} autoComplete="off" spellCheck={false} />
            </label>
          </div>
        </div>
      )}
      <div className="dialog-actions">
        <button className="button" onClick={close} autoFocus>
          Cancel
        </button>
        <button
          className={isPermanentLock ? 'button danger' : 'button primary'}
          disabled={(isPermanentLock && !isPhraseOk) || !isEveryBoxTicked}
          onClick={() => void write(confirmations.map((c) => c.kind))}
        >
          {isPermanentLock ? 'Lock the chip forever' : 'Write option bytes'}
        </button>
      </div>
    </Dialog>
  );
}
