// The memory map's device layer from main's snapshot: what the session read (blank or data per
// sector) and what the last verification of this image found (matches or differs).
import type { SessionSnapshot } from '../../../core/contract/programmer.js';
import { subtractRanges, type ContentInput } from './sectorGrid.js';

export function contentInputOf(session: Pick<SessionSnapshot, 'device' | 'image' | 'lastResult' | 'deviceContent'> | undefined): ContentInput | undefined {
  if (!session?.device) return undefined;
  const known = session.deviceContent;
  const result = session.lastResult;
  const verify = result && result.deviceId === session.device.id ? result.verify : undefined;
  const imageRanges = session.image?.blocks.map((block) => ({ start: block.start, end: block.end })) ?? [];
  if (!known && !verify) return undefined;
  return {
    ...(known ? { blankRanges: known.blankRanges, dataRanges: known.dataRanges } : {}),
    ...(verify && imageRanges.length > 0 ? { matchRanges: subtractRanges(imageRanges, verify.mismatchRanges), differRanges: verify.mismatchRanges } : {}),
  };
}
