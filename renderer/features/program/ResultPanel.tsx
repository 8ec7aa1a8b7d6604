import { formatByteCount, formatCrc, formatSize } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { ErrorBox } from '../../ui/ErrorBox.js';
import { useReveal } from '../../ui/useReveal.js';
import { useKeepFocus } from '../../ui/useKeepFocus.js';
import { formatDuration, formatRate, jobLabels, phaseLabels, pluralise, readProtectionEndings } from '../../text.js';
import type { JobFirmware, JobKind, JobResult } from '../../../core/contract/programmer.js';
import { RemedyButton } from '../verify/RemedyButton.js';

/** The outcome of the last job on this device: timings on success, the error and what to do otherwise. */
export function ResultPanel({ kinds }: { kinds: readonly JobKind[] }) {
  const result = useApp((state) => state.session?.lastResult);
  const deviceId = useApp((state) => state.session?.device?.id);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  if (!result || isRunning || !kinds.includes(result.kind) || (deviceId !== undefined && result.deviceId !== deviceId)) return null;
  return <ResultView key={result.finishedAt} result={result} />;
}

function ResultView({ result }: { result: JobResult }) {
  const setDiffOpen = useApp((state) => state.setDiffOpen);
  const requestReadUnprotect = useApp((state) => state.requestReadUnprotect);
  const saveReport = useApp((state) => state.saveReport);
  const ref = useReveal<HTMLElement>();
  useKeepFocus(ref);
  const total = result.timings.reduce((sum, timing) => sum + timing.elapsedMs, 0);
  const hasMismatch = result.verify !== undefined && !result.verify.isMatch;
  if (result.ok && !hasMismatch) {
    return (
      <section ref={ref} className="result result-ok" role="status" aria-label="Result" tabIndex={-1}>
        <div className="result-title">
          <span className="status-icon" aria-hidden="true">
            ✓
          </span>
          {successTitle(result)} in {formatDuration(total)}
        </div>
        {result.firmware && <FirmwareLine firmware={result.firmware} />}
        {result.readProtection !== undefined && (
          <p className={result.readProtection === 0 ? undefined : 'banner warning'} data-testid="read-protection-ending">
            {readProtectionEndings[result.readProtection]}
          </p>
        )}
        <Timings result={result} />
        {result.kind === 'program' && (
          <button className="button" onClick={() => void saveReport()}>
            Save report…
          </button>
        )}
      </section>
    );
  }
  const error = result.ok
    ? { kind: 'verify-mismatch' as const, firstAddress: result.verify?.firstMismatch ?? 0, count: result.verify?.mismatchCount ?? 0, ranges: result.verify?.mismatchRanges.length ?? 0 }
    : result.error;
  return (
    <section ref={ref} className="result result-failed" aria-label="Result" tabIndex={-1}>
      {result.firmware && <FirmwareLine firmware={result.firmware} />}
      <ErrorBox error={error} action={jobLabels[result.kind].running}>
        <div className="result-actions">
          {hasMismatch && <RemedyButton isPrimary />}
          {hasMismatch && (
            <button className="button" onClick={() => setDiffOpen(true)}>
              Show differences
            </button>
          )}
          {error.kind === 'read-protected' && (
            <button className="button" onClick={requestReadUnprotect}>
              Remove read protection…
            </button>
          )}
          {result.kind === 'program' && (
            <button className="button" onClick={() => void saveReport()}>
              Save report…
            </button>
          )}
        </div>
      </ErrorBox>
      <Timings result={result} />
    </section>
  );
}

/** Which file the result is about (another may be open by now), and what the flash did with it. */
export function firmwareText(firmware: JobFirmware): string {
  const parts = [`${firmware.fileName} (CRC-32 ${formatCrc(firmware.crc32)}, ${formatByteCount(firmware.imageBytes)})`];
  const work = firmware.work;
  if (work) {
    parts.push(`wrote ${formatByteCount(work.bytesWritten)} of ${formatByteCount(firmware.imageBytes)}, erased ${pluralise(work.sectorsErased, 'sector')}`);
    if (work.sectorsBlank > 0) parts.push(`${pluralise(work.sectorsBlank, 'sector')} already blank, not erased`);
    if (work.skippedChunks > 0) parts.push(`${pluralise(work.skippedChunks, 'chunk')} held only the erased value and were not sent`);
    if (work.unchangedSectors > 0) parts.push(`${pluralise(work.unchangedSectors, 'sector')} already held the image`);
  }
  return parts.join('; ');
}

function FirmwareLine({ firmware }: { firmware: JobFirmware }) {
  return (
    <p className="result-firmware" data-testid="result-firmware">
      {firmwareText(firmware)}
    </p>
  );
}

function successTitle(result: JobResult): string {
  if (result.kind === 'program') return result.verify?.isMatch ? 'Flashed and verified' : 'Flashed';
  return jobLabels[result.kind].done;
}

function Timings({ result }: { result: JobResult }) {
  if (result.timings.length === 0) return null;
  return (
    <table className="timings">
      <thead>
        <tr>
          <th scope="col">Phase</th>
          <th scope="col">Bytes</th>
          <th scope="col">Time</th>
          <th scope="col">Rate</th>
        </tr>
      </thead>
      <tbody>
        {result.timings.map((timing, index) => (
          <tr key={`${timing.phase}-${index}`}>
            <td>{phaseLabels[timing.phase]}</td>
            <td>{timing.bytes > 0 ? formatSize(timing.bytes) : '—'}</td>
            <td>{formatDuration(timing.elapsedMs)}</td>
            <td>{timing.bytes > 0 && timing.elapsedMs > 0 ? formatRate((timing.bytes * 1000) / timing.elapsedMs) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
