import { useApp } from './storeContext.js';
import { Dialog } from './ui/Dialog.js';
import { OptionBytesConfirm } from './features/optionBytes/OptionBytesConfirm.js';
import { BaseAddressDialog } from './features/program/BaseAddressDialog.js';
import { RDP2_PHRASE, texts } from './text.js';
import { ConfirmationChecks } from './ui/ConfirmationChecks.js';
import { useState } from 'react';
import type { Confirmation as PolicyConfirmation } from '../core/contract/programmer.js';

/** The one open confirmation, if any: every destructive action passes through here. */
export function Confirmations() {
  const confirmation = useApp((state) => state.confirmation);
  const close = useApp((state) => state.closeConfirmation);
  const massErase = useApp((state) => state.massErase);
  const readUnprotect = useApp((state) => state.readUnprotect);
  return (
    <>
      <BaseAddressDialog />
      {confirmation?.kind === 'program' && <ProgramConfirm reasons={confirmation.reasons} confirmations={confirmation.confirmations} />}
      {confirmation?.kind === 'mass-erase' && (
        <Dialog title="Erase the whole flash?" onClose={close}>
          <p>{texts.massEraseExplanation} The board will not run until it is flashed again.</p>
          <div className="dialog-actions">
            <button className="button" onClick={close} autoFocus>
              Cancel
            </button>
            <button className="button danger" onClick={() => void massErase()}>
              Erase everything
            </button>
          </div>
        </Dialog>
      )}
      {confirmation?.kind === 'read-unprotect' && (
        <Dialog title="Remove read protection?" onClose={close}>
          <p>{texts.readUnprotectExplanation}</p>
          <div className="dialog-actions">
            <button className="button" onClick={close} autoFocus>
              Cancel
            </button>
            <button className="button danger" onClick={() => void readUnprotect()}>
              Erase the chip and unprotect
            </button>
          </div>
        </Dialog>
      )}
      {confirmation?.kind === 'option-bytes' && <OptionBytesConfirm changes={confirmation.changes} confirmations={confirmation.confirmations} />}
    </>
  );
}

/**
 * Before a flash that destroys data outside the image, or that the write policy asks to confirm
 * (OTP, raw option bytes, a file for another device): each confirmation is ticked on its own, and
 * read protection level 2 also needs the phrase typed.
 */
function ProgramConfirm({ reasons, confirmations }: { reasons: readonly string[]; confirmations: readonly PolicyConfirmation[] }) {
  const close = useApp((state) => state.closeConfirmation);
  const program = useApp((state) => state.program);
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const [phrase, setPhrase] = useState('');
  const needsPhrase = confirmations.some((c) => c.kind === 'permanent-lock');
  const isReady = confirmations.every((c) => ticked.has(c.kind)) && (!needsPhrase || phrase.trim().toLowerCase() === RDP2_PHRASE);
  const isIrreversible = confirmations.some((c) => c.isIrreversible);
  const title = confirmations.length > 0 ? (isIrreversible ? 'Flash and change the chip for good?' : 'Flash and confirm?') : 'Flash and lose data?';
  return (
    <Dialog title={title} onClose={close}>
      {reasons.length > 0 && (
        <>
          <ul>
            {reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
          <p className="muted">Tip: “Preserve data outside the image” keeps it.</p>
        </>
      )}
      <ConfirmationChecks confirmations={confirmations} ticked={ticked} onChange={setTicked} />
      {needsPhrase && (
        <label className="field-label">
          Type “{RDP2_PHRASE}” to confirm
          <input className="input" value={phrase} onChange={(event) => setPhrase(event.target.value)} autoComplete="off" spellCheck={false} />
        </label>
      )}
      <div className="dialog-actions">
        <button className="button" onClick={close} autoFocus>
          Cancel
        </button>
        <button className="button danger" disabled={!isReady} onClick={() => void program(confirmations.map((c) => c.kind))}>
          Flash anyway
        </button>
      </div>
    </Dialog>
  );
}
