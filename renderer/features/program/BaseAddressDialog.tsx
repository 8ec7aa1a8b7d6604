import { useState } from 'react';
import { parseAddress } from '../../../core/bytes.js';
import { formatAddress } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { Dialog } from '../../ui/Dialog.js';

/**
 * Raw binaries carry no address: ask where they go, prefilled with the start of flash. Every raw
 * file gets the question: a .bin before it is opened, any other (only a DFU suffix, opened from the
 * menu) right after main placed it at the start of flash, where Cancel leaves it.
 */
export function BaseAddressDialog() {
  const pending = useApp((state) => state.pendingBinary);
  const flashStart = useApp((state) => state.session?.device?.alternates[0]?.layout?.region.segments[0]?.start);
  const placedAt = useApp((state) => state.session?.image?.rawBase?.address);
  const confirm = useApp((state) => state.confirmBaseAddress);
  const cancel = useApp((state) => state.cancelBaseAddress);
  if (!pending) return null;
  const initial = flashStart ?? placedAt ?? 0x08000000;
  return (
    <BaseAddressForm
      fileName={pending.fileName}
      initial={initial}
      {...(pending.format === 'binary' ? { description: 'has no firmware extension and its content is not text. If it is a raw binary, enter the address of its first byte, usually the start of flash.' } : {})}
      {...(pending.isLoaded && placedAt !== undefined ? { cancelLabel: `Keep at ${formatAddress(placedAt)}` } : {})}
      onConfirm={(address) => void confirm(address)}
      onCancel={cancel}
    />
  );
}

export function BaseAddressForm({
  fileName,
  initial,
  cancelLabel = 'Cancel',
  description = 'is a raw binary: it has no addresses of its own. Enter the address of its first byte, usually the start of flash.',
  onConfirm,
  onCancel,
}: {
  fileName: string;
  initial: number;
  cancelLabel?: string;
  /** What follows the file name in the question. */
  description?: string;
  onConfirm: (address: number) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(formatAddress(initial));
  const address = parseAddress(text);
  return (
    <Dialog title="Where does this binary go?" onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (address !== undefined) onConfirm(address);
        }}
      >
        <p>
          <strong>{fileName}</strong> {description}
        </p>
        <label className="field-label">
          Base address
          <input
            className="input mono"
            value={text}
            autoFocus
            spellCheck={false}
            aria-invalid={address === undefined}
            aria-describedby="base-address-help"
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <p id="base-address-help" className={address === undefined ? 'error-text' : 'muted'}>
          {address === undefined ? 'Enter a 0x-prefixed hex address such as 0x08000000.' : `The image will start at ${formatAddress(address)}.`}
        </p>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            {cancelLabel}
          </button>
          <button type="submit" className="button primary" disabled={address === undefined}>
            Load at this address
          </button>
        </div>
      </form>
    </Dialog>
  );
}
