import { formatAddress } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { errorText, formatBytes, formatDuration, pluralise } from '../../text.js';
import { warningMessage } from '../../store.js';
import type { PlanSummary } from '../../../core/contract/programmer.js';

const modeNames: Record<PlanSummary['eraseMode'], string> = { touched: 'touched sectors', mass: 'mass erase', none: 'no erase' };

/** What the button will do, before anything is written. */
export function PlanPreview() {
  const plan = useApp((state) => state.plan);
  const options = useApp((state) => state.session?.settings.programOptions);
  if (!plan) return null;
  if (plan.error) {
    const text = errorText(plan.error);
    return (
      <section className="plan plan-error" role="alert" aria-label="Plan">
        <strong>Cannot flash this image: {text.title}</strong>
        <p>{text.hint}</p>
      </section>
    );
  }
  if (!plan.plans) return <section className="plan muted" aria-label="Plan">Planning…</section>;
  const totalMs = plan.plans.reduce((sum, item) => sum + item.estimatedMs, 0);
  return (
    <section className="plan" aria-label="Plan" data-testid="plan">
      {plan.plans.map((item) => (
        <div key={item.alternate} className="plan-item">
          <p className="plan-line">
            <strong>{item.region}</strong>: {eraseText(item)}, write <strong>{formatBytes(item.bytesToWrite)}</strong>
            {item.bytesToWrite < item.imageBytes ? ` of the ${formatBytes(item.imageBytes)} image` : ''}
            {item.verifyRanges.length > 0 ? `, then verify ${formatBytes(verifiedBytes(item))}` : ''}. <span className="muted">Mode: {modeNames[item.eraseMode]}
            {item.isDifferential ? ', differential' : ''}
            {options?.preserve ? ', preserving data outside the image' : ''}.</span>
          </p>
          {writeNotes(item).map((note) => (
            <p key={note} className="muted plan-note">
              {note}
            </p>
          ))}
          {item.warnings.map((warning, index) => (
            <p key={index} className="warning-text">
              <span aria-hidden="true">⚠ </span>
              {warningMessage(warning)}
            </p>
          ))}
        </div>
      ))}
      {plan.baseAddress !== undefined && (
        <p className="plan-line" data-testid="plan-base-address">
          <strong>Raw binary</strong>: no addresses of its own; its first byte goes to <span className="mono">{formatAddress(plan.baseAddress)}</span>.
        </p>
      )}
      {plan.optionBytes && (
        <p className="plan-line">
          <strong>Option bytes</strong>: the {formatBytes(plan.optionBytes.sizeBytes)} block at {formatAddress(plan.optionBytes.address)} from the file, written last
          (read protection level {plan.optionBytes.rdpLevel}); the device resets afterwards.
        </p>
      )}
      {(plan.warnings ?? []).map((warning) => (
        <p key={warning} className="warning-text">
          <span aria-hidden="true">⚠ </span>
          {warning}
        </p>
      ))}
      {(plan.confirmations ?? []).length > 0 && (
        <div className="banner warning" data-testid="plan-confirmations">
          <div>
            <strong>Flashing asks you to confirm:</strong>
            <ul>
              {plan.confirmations!.map((confirmation) => (
                <li key={confirmation.kind}>
                  {confirmation.title}: {confirmation.consequence}
                  {confirmation.isIrreversible ? ' (cannot be undone)' : ''}
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <p className="muted">Estimated {formatDuration(totalMs)}</p>
    </section>
  );
}

/** Why fewer bytes are written than the image holds, in numbers, so "write 3 KiB" of a 65 KiB image is not a surprise. */
export function writeNotes(plan: PlanSummary): string[] {
  const notes: string[] = [];
  if (plan.skippedChunks > 0) {
    notes.push(`${pluralise(plan.skippedChunks, 'chunk')} of the image hold only the erased value; they are not sent, because the erase leaves those bytes so (verification still checks them).`);
  }
  if (plan.blankCheck && plan.sectors.length > 0) {
    notes.push('Each sector is read before its erase; one that reads blank needs no erase and is left alone.');
  }
  if (plan.isDifferential && plan.unchangedSectors > 0) {
    notes.push(`${pluralise(plan.unchangedSectors, 'sector')} already hold the image and are left alone; only the sectors that differ are erased and written.`);
  }
  // Read from the device before asking: a blank head or tail loses nothing, so nothing is asked.
  const blank = (plan.partialSectors ?? []).filter((sector) => sector.state === 'blank');
  if (blank.length > 4) notes.push(`${blank.length} partly covered sectors are blank outside the image: nothing lost (read from the device).`);
  else {
    for (const sector of blank) {
      const where = sector.where === 'gaps' ? 'outside the image' : sector.where;
      notes.push(`Sector ${sector.index} ${where} ${sector.where === 'head and tail' ? 'are' : 'is'} blank: nothing lost (read from the device).`);
    }
  }
  return notes;
}

function verifiedBytes(plan: PlanSummary): number {
  return plan.verifyRanges.reduce((total, range) => total + (range.end - range.start), 0);
}

function eraseText(plan: PlanSummary): string {
  if (plan.eraseMode === 'mass') return 'mass erase the whole flash';
  if (plan.sectors.length === 0) return 'erase nothing';
  const first = plan.sectors[0]!;
  const last = plan.sectors[plan.sectors.length - 1]!;
  return `erase ${pluralise(plan.sectors.length, 'sector')} (${first.index}–${last.index}, ${formatAddress(first.start)}–${formatAddress(last.end)})`;
}
