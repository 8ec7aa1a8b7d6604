import { formatAddress, formatSize } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { Field } from '../../ui/Field.js';
import { errorText, formatBcd, formatDuration, formatUsbId } from '../../text.js';
import type { DeviceInfo } from '../../../core/contract/programmer.js';

/** Everything the descriptors say, and every correction the layout parser made, in plain words. */
export function DeviceInfoPanel() {
  const device = useApp((state) => state.session?.device);
  if (!device) return null;
  const functional = device.functional;
  return (
    <div className="panel-stack">
      <section className="card">
        <h2>USB device</h2>
        <dl className="fields">
          <Field label="Product">{device.product ?? '—'}</Field>
          <Field label="Manufacturer">{device.manufacturer ?? '—'}</Field>
          <Field label="Serial number">{device.serialNumber ?? '—'}</Field>
          <Field label="VID:PID">{formatUsbId(device.vendorId, device.productId)}</Field>
          <Field label="Bootloader version (bcdDevice)">{formatBcd(device.bcdDevice)}</Field>
          <Field label="USB path">{device.path}</Field>
          <Field label="Family">
            {device.family === 'unknown' ? 'unknown' : `STM32${device.family}`} <span className="muted">({device.familyReason})</span>
          </Field>
        </dl>
      </section>
      <section className="card">
        <h2>DFU functional descriptor</h2>
        <dl className="fields">
          <Field label="Transfer size">{formatSize(functional.transferSize)}</Field>
          <Field label="DFU version">{formatBcd(functional.dfuVersion)}</Field>
          <Field label="Capabilities">{capabilities(device).join(', ') || 'none'}</Field>
          <Field label="Detach timeout">{formatDuration(functional.detachTimeoutMs)}</Field>
        </dl>
      </section>
      <section className="card">
        <h2>Alternate settings (memory regions)</h2>
        <ul className="alt-list">
          {device.alternates.map((alternate) => (
            <li key={alternate.alternate}>
              <div>
                <strong>
                  {alternate.alternate}: {alternate.layout?.region.name ?? alternate.name}
                </strong>
              </div>
              <code className="descriptor">{alternate.descriptor}</code>
              {alternate.layout && (
                <ul className="segment-list">
                  {alternate.layout.region.segments.map((segment) => (
                    <li key={segment.start}>
                      {formatAddress(segment.start)}–{formatAddress(segment.end)}: {segment.sectorCount} × {formatSize(segment.sectorSize)} ({access(segment)})
                    </li>
                  ))}
                </ul>
              )}
              {alternate.layout?.warnings.map((warning) => (
                <p key={warning.position + warning.message} className="warning-text">
                  <span aria-hidden="true">⚠ </span>
                  The bootloader’s descriptor was corrected: {warning.message} (at character {warning.position}).
                </p>
              ))}
              {alternate.error && <p className="error-text">{errorText(alternate.error).title}: {errorText(alternate.error).hint}</p>}
            </li>
          ))}
        </ul>
      </section>
      {(device.notes?.length ?? 0) > 0 && (
        <section className="card" aria-label="Notes">
          <h2>Notes</h2>
          {device.notes?.map((note) => (
            <p key={note} className="device-note">
              {note}
            </p>
          ))}
        </section>
      )}
      {(device.quirks.length > 0 || device.warnings.length > 0) && (
        <section className="card">
          <h2>Known quirks and warnings</h2>
          <ul>
            {device.quirks.map((quirk) => (
              <li key={quirk}>Quirk handled: {quirk}</li>
            ))}
            {device.warnings.map((warning) => (
              <li key={warning} className="warning-text">
                {warning}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function capabilities(device: DeviceInfo): string[] {
  const f = device.functional;
  return [f.canDownload && 'download', f.canUpload && 'upload', f.manifestationTolerant && 'manifestation tolerant', f.willDetach && 'will detach'].filter(
    (item): item is string => typeof item === 'string',
  );
}

function access(segment: { readable: boolean; erasable: boolean; writable: boolean }): string {
  return [segment.readable && 'readable', segment.erasable && 'erasable', segment.writable && 'writable'].filter(Boolean).join(', ') || 'no access';
}
