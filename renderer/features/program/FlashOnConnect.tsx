import { useApp } from '../../storeContext.js';

// Selectors must return stable values: a fresh fallback object on every call re-renders forever.
const NO_TALLY = { passed: 0, failed: 0 } as const;

/** Production mode: each device that appears gets the loaded image; the tally counts boards. */
export function FlashOnConnect() {
  const isOn = useApp((state) => state.session?.settings.flashOnConnect ?? false);
  const tally = useApp((state) => state.session?.tally) ?? NO_TALLY;
  const hasImage = useApp((state) => state.session?.image !== undefined);
  const updateSettings = useApp((state) => state.updateSettings);
  return (
    <section className="flash-on-connect" aria-label="Flash on connect">
      <label className="toggle">
        <input type="checkbox" checked={isOn} disabled={!hasImage && !isOn} onChange={(event) => void updateSettings({ flashOnConnect: event.target.checked })} />
        Flash every board that connects
      </label>
      {(isOn || tally.passed + tally.failed > 0) && (
        <span className="tally" aria-label="Tally">
          <span className="tally-ok">✓ {tally.passed} passed</span> <span className="tally-bad">✕ {tally.failed} failed</span>
        </span>
      )}
    </section>
  );
}
