import { useMemo } from 'react';
import { useApp } from '../../storeContext.js';
import { MemoryMap } from '../memoryMap/MemoryMap.js';
import { MapLegend } from '../memoryMap/MapLegend.js';
import { DropTarget } from './DropTarget.js';
import { ImageCard } from './ImageCard.js';
import { PlanPreview } from './PlanPreview.js';
import { ProgramOptionsForm } from './ProgramOptionsForm.js';
import { ProgressStepper } from './ProgressStepper.js';
import { ResultPanel } from './ResultPanel.js';
import { contentInputOf } from '../memoryMap/contentLayer.js';
import { FlashOnConnect } from './FlashOnConnect.js';
import { formatBytes, phaseLabels, pluralise } from '../../text.js';

/** Etcher's rhythm: image, plan, one button, progress, result. */
export function FlashTab() {
  const image = useApp((state) => state.session?.image);
  const device = useApp((state) => state.session?.device);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  return (
    <div className="panel-stack">
      {image ? <ImageCard image={image} /> : <DropTarget />}
      {device && image && <PlanMap />}
      {device && image && (
        <section className="card" aria-label="Flash">
          <ProgramOptionsForm isDisabled={isRunning} />
          <PlanPreview />
          <ProgressStepper />
          <ResultPanel kinds={['program', 'verify', 'erase', 'leave', 'read-unprotect']} />
        </section>
      )}
      {!device && image && <p className="muted card">Connect a device (left) to see what flashing this image will do.</p>}
      {!(device && image) && (
        <div>
          <ProgressStepper />
          <ResultPanel kinds={['program', 'verify', 'erase', 'leave', 'read-unprotect']} />
        </div>
      )}
      <FlashOnConnect />
      {device && <SecondaryActions />}
    </div>
  );
}

function PlanMap() {
  const device = useApp((state) => state.session?.device);
  const image = useApp((state) => state.session?.image);
  const plans = useApp((state) => state.plan?.plans);
  const verify = useApp((state) => state.session?.lastResult?.verify);
  const plan = plans?.[0];
  const alternate = device?.alternates.find((candidate) => candidate.alternate === (plan?.alternate ?? 0)) ?? device?.alternates[0];
  const imageRanges = useMemo(() => image?.blocks.map((block) => ({ start: block.start, end: block.end })), [image]);
  const session = useApp((state) => state.session);
  const content = useMemo(() => contentInputOf(session), [session]);
  const region = alternate?.layout?.region;
  if (!region) return null;
  return (
    <section className="card" aria-label="Memory map">
      <MemoryMap
        region={region}
        imageRanges={imageRanges}
        eraseRanges={plan?.sectors}
        preserveRanges={plan?.preserveRanges}
        mismatchRanges={verify && !verify.isMatch ? verify.mismatchRanges : undefined}
        content={content}
      />
      <MapLegend showMismatch={verify !== undefined && !verify.isMatch} showContent={content !== undefined} />
    </section>
  );
}

/**
 * The bar under the Flash tab that stays in view however small the window (1024x640 leaves a few
 * hundred pixels): the file, what the plan does in one line, the Flash button, and where a running
 * job is. The full plan and the stepper stay in the card above.
 */
export function ActionBar() {
  const image = useApp((state) => state.session?.image);
  const device = useApp((state) => state.session?.device);
  const plan = useApp((state) => state.plan);
  const job = useApp((state) => state.job);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  const requestProgram = useApp((state) => state.requestProgram);
  if (!device || !image) return null;
  const plans = plan?.plans;
  const sectors = plans?.reduce((sum, item) => sum + item.sectors.length, 0) ?? 0;
  const bytes = plans?.reduce((sum, item) => sum + item.bytesToWrite, 0) ?? 0;
  const isReady = plans !== undefined && !isRunning;
  const active = job && !job.isFinished ? job.order.find((phase) => job.phases[phase]?.status === 'active') : undefined;
  const activeProgress = active ? job?.phases[active] : undefined;
  const percent = activeProgress && activeProgress.total > 0 ? Math.floor((100 * activeProgress.done) / activeProgress.total) : undefined;
  return (
    <div className="action-bar" role="region" aria-label="Flash actions">
      <span className="action-file" title={image.path ?? image.fileName}>
        {image.fileName}
      </span>
      <span className="muted action-summary" data-testid="action-summary">
        {isRunning && active
          ? `${phaseLabels[active]}${percent !== undefined ? ` ${percent}%` : ''}`
          : plans
            ? `${sectors > 0 ? `erase ${pluralise(sectors, 'sector')}, ` : 'no erase, '}write ${formatBytes(bytes)}`
            : plan?.error
              ? 'cannot be flashed: see the plan'
              : 'planning…'}
      </span>
      <button className="button primary big" disabled={!isReady} onClick={() => void requestProgram()} data-testid="flash-button">
        Flash
      </button>
    </div>
  );
}

function SecondaryActions() {
  const isRunning = useApp((state) => state.session?.job !== undefined);
  const hasImage = useApp((state) => state.session?.image !== undefined);
  const verify = useApp((state) => state.verify);
  const requestMassErase = useApp((state) => state.requestMassErase);
  const leave = useApp((state) => state.leave);
  return (
    <section className="secondary-actions" aria-label="Other actions">
      <button className="button" disabled={isRunning || !hasImage} onClick={() => void verify()}>
        Verify only
      </button>
      <button className="button" disabled={isRunning} onClick={requestMassErase}>
        Mass erase…
      </button>
      <button className="button" disabled={isRunning} onClick={() => void leave()}>
        Start application
      </button>
    </section>
  );
}
