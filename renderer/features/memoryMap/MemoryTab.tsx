import { useMemo } from 'react';
import { useApp } from '../../storeContext.js';
import { MemoryMap } from './MemoryMap.js';
import { MapLegend } from './MapLegend.js';
import { contentInputOf } from './contentLayer.js';
import { errorText } from '../../text.js';

/** Every region of the device, to scale, with the loaded image and the plan laid over, and what is on the chip when known. */
export function MemoryTab() {
  const device = useApp((state) => state.session?.device);
  const image = useApp((state) => state.session?.image);
  const plans = useApp((state) => state.plan?.plans);
  const verify = useApp((state) => state.session?.lastResult?.verify);
  const session = useApp((state) => state.session);
  const content = useMemo(() => contentInputOf(session), [session]);
  const imageRanges = useMemo(() => image?.blocks.map((block) => ({ start: block.start, end: block.end })), [image]);
  if (!device) return null;
  return (
    <div className="panel-stack">
      {device.alternates.map((alternate) => {
        const plan = plans?.find((candidate) => candidate.alternate === alternate.alternate);
        if (!alternate.layout) {
          return (
            <section key={alternate.alternate} className="card">
              <h2>{alternate.name}</h2>
              <p className="warning-text">{alternate.error ? errorText(alternate.error).hint : 'No memory layout.'}</p>
            </section>
          );
        }
        return (
          <section key={alternate.alternate} className="card">
            <MemoryMap
              region={alternate.layout.region}
              label={`${alternate.alternate}: ${alternate.layout.region.name}`}
              maxHeight={320}
              imageRanges={imageRanges}
              eraseRanges={plan?.sectors}
              preserveRanges={plan?.preserveRanges}
              mismatchRanges={verify && !verify.isMatch ? verify.mismatchRanges : undefined}
              content={content}
            />
          </section>
        );
      })}
      <MapLegend showMismatch={verify !== undefined && !verify.isMatch} showContent={content !== undefined} />
    </div>
  );
}
