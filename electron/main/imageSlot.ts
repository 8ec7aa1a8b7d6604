// The firmware file the app holds: where it came from (the open dialog, a file token, sent bytes),
// its parsed image and summary, and whether it changed on disk since (a rebuild). The service asks
// it for the file and replans when it changes; the bytes never leave main. Files on disk are named
// only by tokens (fileGrants.ts): the dialog's choice is granted here.
import type { FileGrant, ImageSource } from '../../core/contract/programmer.js';
import { MAX_IMAGE_BYTES } from '../../core/contract/requests.js';
import { DfuError } from '../../core/errors.js';
import { formatCrc, formatSize } from '../../core/format.js';
import type { FileGrants } from './fileGrants.js';
import type { Host } from './host.js';
import { loadImage, type LoadedImage } from './loadedImage.js';
import type { LogBook } from './logBook.js';

export interface ImageSlotOptions {
  readonly host: Host;
  readonly log: LogBook;
  readonly grants: FileGrants;
  /** Called when the file on disk changed after it was loaded. */
  readonly onStale: () => void;
}

/** Where a raw binary goes when the user gave no address: the region it is placed in by default. */
export interface DefaultPlacement {
  readonly start: number;
  readonly name: string;
}

export class ImageSlot {
  private current: LoadedImage | undefined;
  private unwatch: (() => void) | undefined;
  private stale = false;

  constructor(private readonly options: ImageSlotOptions) {}

  get loaded(): LoadedImage | undefined {
    return this.current;
  }

  get isStale(): boolean {
    return this.stale;
  }

  /** The source that loads the same file again (same file, same base address), if it came from disk. */
  get reloadSource(): ImageSource | undefined {
    const token = this.current?.summary.token;
    if (!this.current || token === undefined) return undefined;
    const { baseAddress, format } = this.current;
    return { kind: 'file', token, ...(baseAddress !== undefined ? { baseAddress } : {}), ...(format !== undefined ? { format } : {}) };
  }

  /** Reads and parses `source` and holds it; null when the user cancelled the dialog. */
  async open(source: ImageSource, placement: DefaultPlacement): Promise<LoadedImage | null> {
    const { host, log, grants } = this.options;
    let bytes: Uint8Array;
    let fileName: string;
    let file: FileGrant | undefined;
    if (source.kind === 'bytes') {
      if (source.bytes.length > MAX_IMAGE_BYTES) throw tooLarge(source.fileName);
      bytes = source.bytes;
      fileName = source.fileName;
    } else {
      const path = source.kind === 'file' ? grants.pathOf(source.token) : await host.dialogs.openFirmware();
      if (path === undefined) return null;
      file = grants.grant(path);
      fileName = file.fileName;
      bytes = await this.readFile(path, fileName);
    }
    const baseAddress = source.kind === 'dialog' ? undefined : source.baseAddress;
    const format = source.kind === 'dialog' ? undefined : source.format;
    let loaded: LoadedImage;
    try {
      loaded = loadImage({
        bytes,
        fileName,
        ...(file !== undefined ? { file } : {}),
        ...(baseAddress !== undefined ? { baseAddress } : {}),
        ...(format !== undefined ? { format } : {}),
        defaultBaseAddress: placement.start,
        defaultBaseRegion: placement.name,
        sha256: (data) => host.sha256(data),
        now: host.clock.now(),
      });
    } catch (error) {
      // A binary under a name that names no format, picked in main's dialog: the window needs the
      // file's token to offer opening it as a raw binary (it already has the token for other sources).
      if (source.kind === 'dialog' && file && error instanceof DfuError && error.info.kind === 'image-format' && error.info.couldBeRawBinary) {
        throw new DfuError({ ...error.info, fileToken: file.token }, { cause: error });
      }
      throw error;
    }
    this.hold(loaded);
    const { summary } = loaded;
    log.add('info', 'image', `loaded ${fileName}: ${summary.format}, ${formatSize(summary.sizeBytes)} in ${summary.blocks.length} block(s), CRC-32 ${formatCrc(summary.crc32)}`);
    for (const warning of summary.warnings) log.add('warn', 'image', `${fileName}: ${warning}`);
    return loaded;
  }

  dispose(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private hold(loaded: LoadedImage): void {
    this.dispose();
    this.current = loaded;
    this.stale = false;
    const path = loaded.summary.path;
    if (path === undefined) return;
    this.unwatch = this.options.host.files.watch(path, () => {
      if (this.current?.summary.path !== path || this.stale) return;
      this.stale = true;
      this.options.log.add('info', 'image', `${loaded.summary.fileName} changed on disk; reload to use the new build`);
      this.options.onStale();
    });
  }

  private async readFile(path: string, fileName: string): Promise<Uint8Array> {
    const { files } = this.options.host;
    try {
      const stat = await files.stat(path);
      if (stat.sizeBytes > MAX_IMAGE_BYTES) throw tooLarge(fileName);
      return await files.readFile(path);
    } catch (error) {
      if (error instanceof DfuError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new DfuError({ kind: 'image-format', format: 'file', file: fileName, reason: `cannot read the file: ${reason}` }, { cause: error });
    }
  }
}

export function tooLarge(fileName: string): DfuError {
  return new DfuError({ kind: 'image-format', format: 'file', file: fileName, reason: `larger than ${formatSize(MAX_IMAGE_BYTES)}: not a firmware file` });
}
