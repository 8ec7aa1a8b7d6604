import { formatSize } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { Meter } from '../../ui/Meter.js';
import { useReveal } from '../../ui/useReveal.js';
import { useKeepFocus } from '../../ui/useKeepFocus.js';
import { formatDuration, formatRate, jobLabels, phaseLabels } from '../../text.js';
import type { JobProgress, PhaseProgress } from '../../store.js';
import type { Phase } from '../../../core/contract/programmer.js';

const icons: Record<PhaseProgress['status'], string> = { pending: '○', active: '▶', done: '✓', failed: '✕' };
const statusWords: Record<PhaseProgress['status'], string> = { pending: 'waiting', active: 'running', done: 'done', failed: 'failed' };

/** Erase, write, verify, leave: where the job is, how fast, how long to go. */
export function ProgressStepper() {
  const job = useApp((state) => state.job);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  const cancel = useApp((state) => state.cancel);
  if (!job || job.isFinished) return null;
  return <Progress job={job} isRunning={isRunning} cancel={cancel} />;
}

function Progress({ job, isRunning, cancel }: { job: JobProgress; isRunning: boolean; cancel: () => Promise<void> }) {
  const ref = useReveal<HTMLElement>();
  useKeepFocus(ref);
  return (
    <section ref={ref} className="progress" aria-label="Progress" aria-live="polite" tabIndex={-1}>
      <div className="progress-head">
        <strong>{jobLabels[job.kind].running}…</strong>
        <button className="button" onClick={() => void cancel()} disabled={!isRunning}>
          Cancel
        </button>
      </div>
      <ol className="stepper">
        {job.order.map((phase) => (
          <Step key={phase} phase={phase} progress={job.phases[phase]} />
        ))}
      </ol>
    </section>
  );
}

function Step({ phase, progress }: { phase: Phase; progress: PhaseProgress | undefined }) {
  const status = progress?.status ?? 'pending';
  return (
    <li className={`step step-${status}`} data-phase={phase} data-status={status}>
      <span className="step-icon" aria-hidden="true">
        {icons[status]}
      </span>
      <span className="step-label">
        {phaseLabels[phase]} <span className="sr-only">{statusWords[status]}</span>
      </span>
      {progress && status === 'active' && progress.total > 0 && (
        <span className="step-detail">
          <Meter value={progress.done} max={progress.total} label={`${phaseLabels[phase]} progress`} />
          <span className="mono">
            {Math.floor((progress.done / progress.total) * 100)}% · {formatSize(progress.done)} of {formatSize(progress.total)}
            {progress.bytesPerSecond > 0 && ` · ${formatRate(progress.bytesPerSecond)}`}
            {progress.etaMs !== undefined && ` · ETA ${formatDuration(progress.etaMs)}`}
          </span>
        </span>
      )}
      {progress && status === 'done' && progress.total > 0 && <span className="muted">{formatSize(progress.total)}</span>}
    </li>
  );
}
