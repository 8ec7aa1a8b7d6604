import { useState } from 'react';
import { formatSize } from '../../../core/bytes.js';
import { useApp } from '../../storeContext.js';

/**
 * One line in the Flash options: the real flash size, for boards whose bootloader describes more
 * flash than the part has (the L072xB says 192 KiB for 128 KiB; reference §7.3 item 5). It shows
 * when DeviceInfo.notes names such a descriptor, or while a size is set (so it can be cleared).
 * Saved in settings.programOptions.flashSizeBytes; empty means "as the bootloader describes".
 */
export function FlashSizeField() {
  const device = useApp((state) => state.session?.device);
  const flashSizeBytes = useApp((state) => state.session?.settings.programOptions.flashSizeBytes);
  const setOptions = useApp((state) => state.setProgramOptions);
  // The text being typed; undefined while the field shows the saved value.
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const flash = device?.alternates.find((alternate) => alternate.layout && /flash/i.test(alternate.layout.region.name))?.layout?.region;
  const hasNote = device !== undefined && device.quirks.includes('descriptor-overstates-flash') && (device.notes?.length ?? 0) > 0;
  if (!device || !flash || (!hasNote && flashSizeBytes === undefined)) return null;

  const start = flash.segments[0]?.start ?? 0;
  const end = flash.segments[flash.segments.length - 1]?.end ?? start;
  const text = draft ?? (flashSizeBytes !== undefined ? String(flashSizeBytes / 1024) : '');
  const kib = /^\s*[0-9]+\s*$/.test(text) ? Number(text) : undefined;
  const isInvalid = text.trim() !== '' && (kib === undefined || kib < 1);
  const commit = () => {
    if (draft === undefined) return;
    setDraft(undefined);
    if (draft.trim() === '') void setOptions({ flashSizeBytes: undefined });
    else if (!isInvalid && kib !== undefined) void setOptions({ flashSizeBytes: kib * 1024 });
  };
  return (
    <p className="flash-size-row" title={device.notes?.join(' ')}>
      <label className="inline-label">
        Real flash size
        <input
          className="input narrow mono"
          inputMode="numeric"
          aria-label="Real flash size in KiB"
          aria-invalid={isInvalid}
          placeholder={String((end - start) / 1024)}
          value={text}
          onChange={(event) => setDraft(event.target.value)}
          onBlur={commit}
          onKeyDown={(event) => {
            if (event.key === 'Enter') commit();
          }}
        />
        KiB
      </label>{' '}
      <span className="muted">
        {isInvalid
          ? 'Whole KiB, e.g. 128.'
          : `The bootloader says ${formatSize(end - start)}; smaller parts say the same (Device tab). Empty: trust it.`}
      </span>
    </p>
  );
}
