import { useApp } from './storeContext.js';
import { Dialog } from './ui/Dialog.js';
import { OptionBytesConfirm } from './features/optionBytes/OptionBytesConfirm.js';
import { BaseAddressDialog } from './features/program/BaseAddressDialog.js';
import { texts } from './text.js';

/** The one open confirmation, if any: every destructive action passes through here. */
export function Confirmations() {
  const confirmation = useApp((state) => state.confirmation);
  const close = useApp((state) => state.closeConfirmation);
  const program = useApp((state) => state.program);
  const massErase = useApp((state) => state.massErase);
  const readUnprotect = useApp((state) => state.readUnprotect);
  return (
    <>
      <BaseAddressDialog />
      {confirmation?.kind === 'program' && (
        <Dialog title="Flash and lose data?" onClose={close}>
          <ul>
            {confirmation.reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
          <p className="muted">Tip: “Preserve data outside the image” keeps it.</p>
          <div className="dialog-actions">
            <button className="button" onClick={close} autoFocus>
              Cancel
            </button>
            <button className="button danger" onClick={() => void program()}>
              Flash anyway
            </button>
          </div>
        </Dialog>
      )}
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
      {confirmation?.kind === 'option-bytes' && <OptionBytesConfirm changes={confirmation.changes} isPermanentLock={confirmation.isPermanentLock} />}
    </>
  );
}
