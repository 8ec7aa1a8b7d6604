import { useState } from 'react';
import { formatSize } from '../../../core/format.js';
import { savedFlashSize } from '../../store.js';
import { useApp } from '../../storeContext.js';

/**
 * One line in the Flash options: the real flash size, for boards whose bootloader describes more
 * flash than the part has (the L072xB says 192 KiB for 128 KiB; reference §7.3 item 5). It shows
 * when DeviceInfo.notes names such a descriptor and the flash-size register could not be read at
 * connect (when it was, main applies the size it read and the field has nothing to add), or while a
 * size is saved for this bootloader (so it can be cleared). Saved per bootloader in settings.flashSizeLimits, so it follows boards of this
 * kind and never limits an unrelated device; empty means "as the bootloader describes".
 */
export function FlashSizeField() {
  const device = useApp((state) => state.session?.device);
  const flashSizeBytes = useApp((state) => savedFlashSize(state.session));
  const setFlashSizeLimit = useApp((state) => state.setFlashSizeLimit);
  // The text being typed, for the device it was typed for (another device shows its own saved size).
  const [typed, setTyped] = useState<{ deviceId: string; text: string } | undefined>(undefined);
  const draft = typed && typed.deviceId === device?.id ? typed.text : undefined;
  const flash = device?.alternates.find((alternate) => alternate.layout && /flash/i.test(alternate.layout.region.name))?.layout?.region;
  const hasNote = device !== undefined && device.quirks.includes('descriptor-overstates-flash') && (device.notes?.length ?? 0) > 0;
  const isMeasured = device?.flashSizeBytes !== undefined;
  if (!device || !flash || ((!hasNote || isMeasured) && flashSizeBytes === undefined)) return null;

  const start = flash.segments[0]?.start ?? 0;
  const end = flash.segments[flash.segments.length - 1]?.end ?? start;
  const text = draft ?? (flashSizeBytes !== undefined ? String(flashSizeBytes / 1024) : '');
  const kib = /^\s*[0-9]+\s*$/.test(text) ? Number(text) : undefined;
  const isInvalid = text.trim() !== '' && (kib === undefined || kib < 1);
  const commit = () => {
    if (draft === undefined) return;
    setTyped(undefined);
    if (draft.trim() === '') void setFlashSizeLimit(undefined);
    else if (!isInvalid && kib !== undefined) void setFlashSizeLimit(kib * 1024);
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
          onChange={(event) => setTyped({ deviceId: device.id, text: event.target.value })}
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
