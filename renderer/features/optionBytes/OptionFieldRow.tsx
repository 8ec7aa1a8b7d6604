import { useState } from 'react';
import { parseAddress } from '../../../core/bytes.js';
import { useApp } from '../../storeContext.js';
import type { DecodedOptionBytes } from '../../../core/contract/programmer.js';

type OptionField = DecodedOptionBytes['fields'][number];

const hexOf = (value: number) => `0x${(value >>> 0).toString(16).toUpperCase()}`;

/**
 * One option-byte field: what it means now in words (from the decoder in core, never guessed
 * here), its register bit name, raw value and address, and an editor that offers meanings: a
 * choice list for every enumerated or 1-bit field, one "Protect" box per sector for protection
 * masks, a number only where the value is a number (an address, a page).
 */
export function OptionFieldRow({ field, isDisabled }: { field: OptionField; isDisabled: boolean }) {
  const draft = useApp((state) => state.optionDraft[field.id]);
  const setDraft = useApp((state) => state.setOptionDraft);
  const value = draft ?? field.value;
  const isChanged = draft !== undefined && draft !== field.value;
  const inputId = `option-${field.id}`;
  return (
    <tr className={isChanged ? 'changed' : undefined} data-field={field.id}>
      <th scope="row">
        <label htmlFor={inputId}>{field.label}</label> <span className="muted mono bit-name">{field.bitName}</span>
        {isChanged && <span className="tag tag-changed">changed</span>}
      </th>
      <td>
        <span className="field-meaning" data-testid="field-meaning">
          {field.meaning}
        </span>
        <br />
        <span className="muted mono field-raw">
          {hexOf(field.value)} · {field.location}
        </span>
      </td>
      <td>
        {!field.editable ? (
          <span className="muted">read-only</span>
        ) : field.kind === 'enum' ? (
          <ChoiceInput id={inputId} field={field} value={value} isDisabled={isDisabled} onChange={(next) => setDraft(field.id, next)} />
        ) : field.kind === 'mask' && field.units && field.units.length > 0 ? (
          <UnitInputs id={inputId} field={field} value={value} isDisabled={isDisabled} onChange={(next) => setDraft(field.id, next)} />
        ) : (
          <NumberInput id={inputId} field={field} value={value} isDisabled={isDisabled} onChange={(next) => setDraft(field.id, next)} />
        )}
      </td>
      <td className="field-description">{field.description}</td>
    </tr>
  );
}

/** A choice between meanings. A value the table has no word for (RDP 0x55 = level 1) stays listed as it is. */
function ChoiceInput({ id, field, value, isDisabled, onChange }: { id: string; field: OptionField; value: number; isDisabled: boolean; onChange: (value: number) => void }) {
  const choices = field.choices ?? [];
  const isListed = choices.some((choice) => choice.value === value);
  return (
    <select id={id} className="input" value={value} disabled={isDisabled} onChange={(event) => onChange(Number(event.target.value))}>
      {!isListed && <option value={value}>{value === field.value ? `${field.meaning} (${hexOf(value)})` : hexOf(value)}</option>}
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </select>
  );
}

/** One "Protect" box per sector or group of pages, named by its address range; the bit polarity is the decoder's. */
function UnitInputs({ id, field, value, isDisabled, onChange }: { id: string; field: OptionField; value: number; isDisabled: boolean; onChange: (value: number) => void }) {
  const units = field.units ?? [];
  const protection = units[0]?.protection === 'read' ? 'Read-protect (PCROP)' : 'Write-protect';
  return (
    <fieldset id={id} className="unit-list" aria-label={`${field.label}: ${protection.toLowerCase()}`}>
      {units.map((unit) => {
        const bitValue = Math.floor(value / 2 ** unit.bit) % 2;
        const isProtected = bitValue === unit.protectedWhen;
        const toggled = value + (bitValue === 1 ? -1 : 1) * 2 ** unit.bit;
        return (
          <label key={unit.bit} className="unit">
            <input type="checkbox" checked={isProtected} disabled={isDisabled} onChange={() => onChange(toggled)} /> {protection} {unit.label}
          </label>
        );
      })}
    </fieldset>
  );
}

/** Hex or decimal; the draft only changes while the text parses, and the field says why not. */
function NumberInput({ id, field, value, isDisabled, onChange }: { id: string; field: OptionField; value: number; isDisabled: boolean; onChange: (value: number) => void }) {
  const format = (number: number) => (field.kind === 'mask' ? hexOf(number) : String(number));
  const [text, setText] = useState(format(value));
  const parsed = parseAddress(text);
  const isInRange = parsed !== undefined && parsed <= field.maxValue;
  return (
    <>
      <input
        id={id}
        className="input mono narrow"
        value={text}
        disabled={isDisabled}
        aria-invalid={!isInRange}
        spellCheck={false}
        onChange={(event) => {
          setText(event.target.value);
          const next = parseAddress(event.target.value);
          if (next !== undefined && next <= field.maxValue) onChange(next);
        }}
      />
      {parsed === undefined ? (
        <span className="error-text"> Enter a number (0x… for hex).</span>
      ) : (
        !isInRange && <span className="error-text"> At most {field.maxValue}.</span>
      )}
    </>
  );
}
