import { DfuState } from '../dfu/spec.js';
import { initialLinkState, link } from './link.js';

describe('LinkState transitions (pure)', () => {
  it('tracks the selected alt setting, dfuDNLOAD-IDLE after a download, and a device that went away', () => {
    const selected = link.selected(initialLinkState, 2);
    expect(selected).toEqual({ selectedAlternate: 2, isInDownload: false, isGone: false });
    expect(initialLinkState.selectedAlternate).toBeUndefined();
    const downloading = link.downloaded(selected, DfuState.dfuDNLOAD_IDLE);
    expect(downloading.isInDownload).toBe(true);
    // The H7 stuck-busy release ends in dfuIDLE: nothing to abort afterwards.
    expect(link.downloaded(selected, DfuState.dfuIDLE).isInDownload).toBe(false);
    expect(link.idle(downloading)).toEqual({ selectedAlternate: 2, isInDownload: false, isGone: false });
    expect(link.gone(downloading)).toEqual({ selectedAlternate: 2, isInDownload: false, isGone: true });
    // Values, not mutation: the earlier states are unchanged.
    expect(downloading.isInDownload).toBe(true);
    expect(selected.isInDownload).toBe(false);
  });
});
