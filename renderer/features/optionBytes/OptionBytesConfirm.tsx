import { useState } from 'react';
import { useApp } from '../../storeContext.js';
import { Dialog } from '../../ui/Dialog.js';
import { RDP2_PHRASE, texts } from '../../text.js';
import { formatFieldValue } from './OptionFieldRow.js';
import type { OptionChange } from '../../store.js';
import type { Confirmation } from '../../../core/contract/programmer.js';

// Selectors must return stable values: a fresh [] on every call would re-render forever.
const NONE = [] as const;

/**
 * The summary before writing, with what main says the change needs confirmed (core/jobs): RDP
 * level 2 additionally needs the phrase typed exactly; lowering RDP says that it erases the flash.
 */
export function OptionBytesConfirm({ changes, confirmations }: { changes: readonly OptionChange[]; confirmations: readonly Confirmation[] }) {
  const isPermanentLock = confirmations.some((c) => c.kind === 'permanent-lock');
  const fields = useApp((state) => state.session?.optionBytes?.fields) ?? NONE;
  const write = useApp((state) => state.writeOptionBytes);
  const close = useApp((state) => state.closeConfirmation);
  const [phrase, setPhrase] = useState('');
  const isPhraseOk = phrase.trim().toLowerCase() === RDP2_PHRASE;
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
          {changes.map((change) => {
            const field = fields.find((candidate) => candidate.id === change.id);
            return (
              <tr key={change.id} className="changed">
                <th scope="row">{change.label}</th>
                <td className="mono">{field ? formatFieldValue(field, change.from) : change.from}</td>
                <td className="mono">{field ? formatFieldValue(field, change.to) : change.to}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted">The device resets after the write and reconnects.</p>
      {confirmations
        .filter((c) => c.kind !== 'permanent-lock')
        .map((c) => (
          <p key={c.kind} className="banner warning">
            <strong>{c.title}:</strong> {c.consequence}.
          </p>
        ))}
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
          disabled={isPermanentLock && !isPhraseOk}
          onClick={() => void write(confirmations.map((c) => c.kind))}
        >
          {isPermanentLock ? 'Lock the chip forever' : 'Write option bytes'}
        </button>
      </div>
    </Dialog>
  );
}
