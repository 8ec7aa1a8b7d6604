import { useState } from 'react';
import { parseAddress, parseByteCount } from '../../../core/bytes.js';
import { formatAddress, formatSize } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { ProgressStepper } from '../program/ProgressStepper.js';
import { formatBytes, formatCrc, pluralise } from '../../text.js';
import type { SaveFormat } from '../../../core/contract/programmer.js';

const formats: { id: SaveFormat; label: string }[] = [
  { id: 'hex', label: 'Intel HEX (.hex)' },
  { id: 'bin', label: 'Raw binary (.bin)' },
  { id: 'dfu', label: 'DfuSe (.dfu)' },
];

/** Backup: read any readable region (or part of it) and save it. */
export function ReadBackTab() {
  const device = useApp((state) => state.session?.device);
  const readBack = useApp((state) => state.session?.readBack);
  const isRunning = useApp((state) => state.session?.job !== undefined);
  const readMemory = useApp((state) => state.readMemory);
  const saveReadBack = useApp((state) => state.saveReadBack);
  const regions = (device?.alternates ?? []).filter((alternate) => alternate.layout?.region.segments.some((segment) => segment.readable));
  const [alternate, setAlternate] = useState(regions[0]?.alternate ?? 0);
  const region = regions.find((candidate) => candidate.alternate === alternate)?.layout?.region;
  const regionStart = region?.segments[0]?.start ?? 0;
  const regionEnd = region?.segments[region.segments.length - 1]?.end ?? 0;
  const [startText, setStartText] = useState('');
  const [lengthText, setLengthText] = useState('');
  const start = startText.trim() === '' ? regionStart : parseAddress(startText);
  // The same lengths the CLI's --length takes: 65536, 0x10000, 64K, 2M.
  const length = lengthText.trim() === '' && start !== undefined ? regionEnd - start : parseByteCount(lengthText);
  const problem =
    start === undefined
      ? 'Enter the start as 0x-prefixed hex or decimal.'
      : length === undefined
        ? 'Enter the length in bytes, as 0x-prefixed hex, or with K or M (64K).'
      : start < regionStart || start + length > regionEnd
        ? `The range must lie within ${formatAddress(regionStart)}–${formatAddress(regionEnd)}.`
        : length === 0
          ? 'The length must be above zero.'
          : undefined;
  if (!device) return null;
  return (
    <div className="panel-stack">
      <section className="card">
        <h2>Read back</h2>
        <form
          className="read-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (!problem && start !== undefined && length !== undefined) void readMemory({ alternate, start, length });
          }}
        >
          <label className="field-label">
            Region
            <select className="input" value={alternate} onChange={(event) => setAlternate(Number(event.target.value))}>
              {regions.map((candidate) => (
                <option key={candidate.alternate} value={candidate.alternate}>
                  {candidate.alternate}: {candidate.layout?.region.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field-label">
            Start
            <input className="input mono" placeholder={formatAddress(regionStart)} value={startText} onChange={(event) => setStartText(event.target.value)} />
          </label>
          <label className="field-label">
            Length
            <input
              className="input mono"
              placeholder={start !== undefined ? `${regionEnd - start} (to the end)` : ''}
              value={lengthText}
              onChange={(event) => setLengthText(event.target.value)}
            />
          </label>
          <button className="button primary" type="submit" disabled={problem !== undefined || isRunning}>
            Read {length !== undefined && !problem ? formatSize(length) : ''}
          </button>
        </form>
        {problem && <p className="error-text">{problem}</p>}
      </section>
      <ProgressStepper />
      {readBack && (
        <section className="card" aria-label="Read-back result">
          <h3>{readBack.fileName}</h3>
          <p>
            {formatBytes(readBack.sizeBytes)} in {pluralise(readBack.blocks.length, 'block')}, CRC-32 <span className="mono">{formatCrc(readBack.crc32)}</span>
          </p>
          <div className="button-row">
            {formats.map((format) => (
              <button key={format.id} className="button" disabled={isRunning} onClick={() => void saveReadBack(format.id)}>
                Save as {format.label}…
              </button>
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
