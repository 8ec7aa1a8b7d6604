import { useRef, useState } from 'react';
import { useKeepFocus } from '../../ui/useKeepFocus.js';
import { formatAddress, formatSize } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { formatBytes, formatCrc, formatImageFormat, formatUsbId, pluralise } from '../../text.js';
import { BaseAddressForm } from './BaseAddressDialog.js';
import type { ImageSaveFormat, ImageSummary } from '../../../core/contract/programmer.js';

/** Blocks listed by name, as `dfu-desk image` does: a file may hold 262,144 of them. */
const SHOWN_BLOCKS = 32;

/** "Save as" converts the loaded image (core/image/convert.ts in main); main asks where. */
const SAVE_AS_FORMATS: readonly { id: ImageSaveFormat; label: string; title: string }[] = [
  { id: 'hex', label: 'Intel HEX', title: 'Every block and the start address, as .hex' },
  { id: 'srec', label: 'S-record', title: 'Every block, the header and the start address, as .srec' },
  { id: 'bin', label: 'Raw binary', title: 'The bytes from the first block to the last, gaps filled with the erased value; no addresses' },
  { id: 'dfu', label: 'DfuSe', title: 'Every block in its .dfu target, with a USB identity and DFU suffix' },
];

/** What was loaded: blocks, sizes, CRC-32, entry, vector-table sanity (whether it fits the device is the plan's to say). */
export function ImageCard({ image }: { image: ImageSummary }) {
  const isStale = useApp((state) => state.session?.isImageStale ?? false);
  const reloadImage = useApp((state) => state.reloadImage);
  const rebaseImage = useApp((state) => state.rebaseImage);
  const openDialog = useApp((state) => state.openDialog);
  const saveImageAs = useApp((state) => state.saveImageAs);
  const [isRebasing, setRebasing] = useState(false);
  // The drop target that had focus is gone: the file's name takes it.
  const heading = useRef<HTMLHeadingElement>(null);
  useKeepFocus(heading);
  const isBinary = image.format === 'binary' || image.format === 'binary-dfu-suffix';
  const vector = image.vectorTable;
  return (
    <section className="card image-card" aria-label="Loaded image">
      {isStale && (
        <div className="banner warning" role="status">
          <span>
            <span aria-hidden="true">⟳ </span>
            {image.fileName} changed on disk since it was loaded.
          </span>
          <button className="button" onClick={() => void reloadImage()}>
            Reload
          </button>
        </div>
      )}
      <div className="image-head">
        <h2 className="image-name" title={image.path} ref={heading} tabIndex={-1}>
          {image.fileName}
        </h2>
        <span className="muted">{formatImageFormat(image.format)}</span>
        <button className="button subtle" data-open-file onClick={() => void openDialog()}>
          Open another…
        </button>
      </div>
      <dl className="summary-line">
        <div>
          <dt>Size</dt>
          <dd data-testid="image-size">{formatBytes(image.sizeBytes)}</dd>
        </div>
        <div>
          <dt>Blocks</dt>
          <dd>{pluralise(image.blocks.length, 'block')}</dd>
        </div>
        <div>
          <dt>CRC-32</dt>
          <dd className="mono" data-testid="image-crc">
            {formatCrc(image.crc32)}
          </dd>
        </div>
        {image.entryAddress !== undefined && (
          <div>
            <dt>Entry</dt>
            <dd className="mono">{formatAddress(image.entryAddress)}</dd>
          </div>
        )}
      </dl>
      <ul className="block-list">
        {image.blocks.slice(0, SHOWN_BLOCKS).map((block) => (
          <li key={block.start} className="mono">
            {formatAddress(block.start)}–{formatAddress(block.end)} · {formatSize(block.end - block.start)} · CRC {formatCrc(block.crc32)}
          </li>
        ))}
        {image.blocks.length > SHOWN_BLOCKS && (
          <li className="muted" data-testid="more-blocks">
            … and {pluralise(image.blocks.length - SHOWN_BLOCKS, 'more block')} (dfu-desk image FILE --json lists every one)
          </li>
        )}
      </ul>
      {isBinary && (
        <p>
          Raw binary loaded at <span className="mono">{formatAddress(image.blocks[0]?.start ?? 0)}</span>.{' '}
          {image.token && (
            <button className="link" onClick={() => setRebasing(true)}>
              Change base address
            </button>
          )}
        </p>
      )}
      {isRebasing && (
        <BaseAddressForm
          fileName={image.fileName}
          initial={image.blocks[0]?.start ?? 0x08000000}
          onCancel={() => setRebasing(false)}
          onConfirm={(address) => {
            setRebasing(false);
            void rebaseImage(address);
          }}
        />
      )}
      {vector && (
        <ul className="checks" aria-label="Vector table">
          <li className={vector.isStackInRam ? 'ok' : 'bad'}>
            <span aria-hidden="true">{vector.isStackInRam ? '✓' : '⚠'} </span>
            Initial stack pointer <span className="mono">{formatAddress(vector.initialStackPointer)}</span> {vector.isStackInRam ? 'is in RAM' : 'is not in RAM'}
          </li>
          <li className={vector.isResetInImage && vector.hasThumbBit ? 'ok' : 'bad'}>
            <span aria-hidden="true">{vector.isResetInImage && vector.hasThumbBit ? '✓' : '⚠'} </span>
            Reset vector <span className="mono">{formatAddress(vector.resetVector)}</span> {vector.isResetInImage ? 'is inside the image' : 'points outside the image'}
            {vector.hasThumbBit ? ' (Thumb)' : ', without the Thumb bit: the core would fault'}
          </li>
        </ul>
      )}
      {image.dfu && (
        <p className="muted">
          .dfu file for {formatUsbId(image.dfu.vendorId, image.dfu.productId)}, alternate settings {image.dfu.alternates.join(', ')}
        </p>
      )}
      <div className="save-as" role="group" aria-label="Save as">
        <span className="muted">Save as</span>
        {SAVE_AS_FORMATS.map((format) => (
          <button key={format.id} className="button subtle" title={format.title} onClick={() => void saveImageAs(format.id)}>
            {format.label}
          </button>
        ))}
      </div>
      {image.warnings.map((warning) => (
        <p key={warning} className="warning-text">
          <span aria-hidden="true">⚠ </span>
          {warning}
        </p>
      ))}
    </section>
  );
}
