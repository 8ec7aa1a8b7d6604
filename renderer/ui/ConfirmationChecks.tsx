import type { Confirmation } from '../../core/contract/programmer.js';

/**
 * What main says a write needs confirmed (core/jobs/confirmations.ts), one checkbox beside each
 * consequence: the Flash dialog and the option-byte dialog show them the same way.
 */
export function ConfirmationChecks({
  confirmations,
  ticked,
  onChange,
}: {
  confirmations: readonly Confirmation[];
  ticked: ReadonlySet<string>;
  onChange: (ticked: ReadonlySet<string>) => void;
}) {
  return confirmations.map((c) => (
    <label key={c.kind} className={`banner ${c.isIrreversible ? 'danger' : 'warning'} confirm-item`} data-testid={`confirm-${c.kind}`}>
      <input
        type="checkbox"
        checked={ticked.has(c.kind)}
        onChange={(event) => {
          const next = new Set(ticked);
          if (event.target.checked) next.add(c.kind);
          else next.delete(c.kind);
          onChange(next);
        }}
      />
      <span>
        <strong>{c.title}</strong>: {c.consequence}.{c.isIrreversible ? ' This cannot be undone.' : ''}
      </span>
    </label>
  ));
}
