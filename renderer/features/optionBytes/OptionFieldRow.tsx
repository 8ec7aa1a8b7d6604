import { useState } from 'react';
import { parseAddress } from '../../../core/bytes.js';
import { useApp } from '../../storeContext.js';
import type { DecodedOptionBytes } from '../../../core/contract/programmer.js';

type OptionField = DecodedOptionBytes['fields'][number];

export function formatFieldValue(field: OptionField, value: number): string {
  if (field.kind === 'enum') return field.choices?.find((choice) => choice.value === value)?.label ?? `0x${value.toString(16).toUpperCase()}`;
  if (field.kind === 'flag') return value ? 'on' : 'off';
  if (field.kind === 'mask') return `0x${(value >>> 0).toString(16).toUpperCase()}`;
  return String(value);
}

export function OptionFieldRow({ field, isDisabled }: { field: OptionField; isDisabled: boolean }) {
  const draft = useApp((state) => state.optionDraft[field.id]);
  const setDraft = useApp((state) => state.setOptionDraft);
  const value = draft ?? field.value;
  const isChanged = draft !== undefined && draft !== field.value;
  const inputId = `option-${field.id}`;
  return (
    <tr className={isChanged ? 'changed' : undefined} data-field={field.id}>
      <th scope="row">
        <label htmlFor={inputId}>{field.label}</label>
        {isChanged && <span className="tag tag-changed">changed</span>}
      </th>
      <td className="mono">{formatFieldValue(field, field.value)}</td>
      <td>
        {!field.editable ? (
          <span className="muted">read-only</span>
        ) : field.kind === 'enum' ? (
          <select id={inputId} className="input" value={value} disabled={isDisabled} onChange={(event) => setDraft(field.id, Number(event.target.value))}>
            {(field.choices ?? []).map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        ) : field.kind === 'flag' ? (
          <input id={inputId} type="checkbox" checked={value !== 0} disabled={isDisabled} onChange={(event) => setDraft(field.id, event.target.checked ? 1 : 0)} />
        ) : (
          <NumberInput id={inputId} field={field} value={value} isDisabled={isDisabled} onChange={(next) => setDraft(field.id, next)} />
        )}
      </td>
      <td className="field-description">{field.description}</td>
    </tr>
  );
}

/** Hex or decimal; the draft only changes while the text parses, and the field says why not. */
function NumberInput({ id, field, value, isDisabled, onChange }: { id: string; field: OptionField; value: number; isDisabled: boolean; onChange: (value: number) => void }) {
  const format = (number: number) => (field.kind === 'mask' ? `0x${(number >>> 0).toString(16).toUpperCase()}` : String(number));
  const [text, setText] = useState(format(value));
  const parsed = parseAddress(text);
  return (
    <>
      <input
        id={id}
        className="input mono narrow"
        value={text}
        disabled={isDisabled}
        aria-invalid={parsed === undefined}
        spellCheck={false}
        onChange={(event) => {
          setText(event.target.value);
          const next = parseAddress(event.target.value);
          if (next !== undefined) onChange(next);
        }}
      />
      {parsed === undefined && <span className="error-text"> Enter a number (0x… for hex).</span>}
    </>
  );
}
