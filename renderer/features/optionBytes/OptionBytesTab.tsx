import { useMemo } from 'react';
import { formatAddress } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { ResultPanel } from '../program/ResultPanel.js';
import { ProgressStepper } from '../program/ProgressStepper.js';
import { OptionFieldRow } from './OptionFieldRow.js';
import { optionChanges } from '../../store.js';
import { texts } from '../../text.js';
import type { DecodedOptionBytes } from '../../../core/contract/programmer.js';

type Group = DecodedOptionBytes['fields'][number]['group'];

const groups: { id: Group; title: string }[] = [
  { id: 'read-protection', title: 'Read protection' },
  { id: 'user', title: 'User configuration' },
  { id: 'write-protection', title: 'Write protection' },
  { id: 'boot', title: 'Boot' },
  { id: 'other', title: 'Other' },
];

/** Tables per group: each field's meaning now (with bit name, raw value, address), an editor of meanings, what it does; changes highlighted. */
export function OptionBytesTab() {
  const optionBytes = useApp((state) => state.session?.optionBytes);
  const readProtection = useApp((state) => state.session?.readProtection);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  const readOptionBytes = useApp((state) => state.readOptionBytes);
  const requestWrite = useApp((state) => state.requestOptionBytesWrite);
  const requestReadUnprotect = useApp((state) => state.requestReadUnprotect);
  const optionDraft = useApp((state) => state.optionDraft);
  const session = useApp((state) => state.session);
  const changes = useMemo(() => optionChanges({ session, optionDraft }), [session, optionDraft]);
  return (
    <div className="panel-stack">
      <section className="card">
        <div className="card-head">
          <h2>Option bytes</h2>
          <button className="button" onClick={() => void readOptionBytes()} disabled={isRunning}>
            {optionBytes ? 'Read again' : 'Read option bytes'}
          </button>
        </div>
        {optionBytes ? (
          <p className="muted">
            STM32{optionBytes.family} option bytes at {formatAddress(optionBytes.address)}, read protection level {optionBytes.rdpLevel}.
          </p>
        ) : (
          <p className="muted">Read them from the device to see and edit the configuration.</p>
        )}
        {optionBytes?.warnings.map((warning) => (
          <p key={warning} className="warning-text">
            <span aria-hidden="true">⚠ </span>
            {warning}
          </p>
        ))}
      </section>
      {optionBytes &&
        groups.map((group) => {
          const fields = optionBytes.fields.filter((field) => field.group === group.id);
          if (fields.length === 0) return null;
          return (
            <section key={group.id} className="card">
              <h3>{group.title}</h3>
              <table className="option-table">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Now</th>
                    <th scope="col">Change to</th>
                    <th scope="col">What it does</th>
                  </tr>
                </thead>
                <tbody>
                  {fields.map((field) => (
                    <OptionFieldRow key={field.id} field={field} isDisabled={isRunning} />
                  ))}
                </tbody>
              </table>
            </section>
          );
        })}
      {optionBytes && (
        <section className="card" aria-label="Write option bytes">
          <p>
            {changes.length === 0
              ? 'No changes.'
              : `${changes.length} field${changes.length > 1 ? 's' : ''} changed: ${changes.map((change) => change.label).join(', ')}. The device resets after writing.`}
          </p>
          <div className="primary-row">
            <button className="button primary" disabled={changes.length === 0 || isRunning} onClick={() => void requestWrite()}>
              Review and write…
            </button>
          </div>
        </section>
      )}
      {/* Offered only where there is something to remove: level 1, or a chip whose level is unknown. */}
      {readProtection !== 0 && readProtection !== 2 && (
        <section className="card" aria-label="Read protection removal">
          <h3>Remove read protection</h3>
          <p>{texts.readUnprotectExplanation}</p>
          <button className="button danger" disabled={isRunning} onClick={requestReadUnprotect}>
            Remove read protection…
          </button>
        </section>
      )}
      <ProgressStepper />
      <ResultPanel kinds={['option-bytes-read', 'option-bytes-write', 'read-unprotect']} />
    </div>
  );
}
