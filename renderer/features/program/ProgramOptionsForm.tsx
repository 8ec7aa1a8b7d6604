import { useApp } from '../../storeContext.js';
import { texts } from '../../text.js';
import type { ProgramOptions } from '../../../core/contract/programmer.js';
import { FlashSizeField } from './FlashSizeField.js';

type Mode = 'touched' | 'differential' | 'mass' | 'none';

const modes: { id: Mode; label: string; hint: string }[] = [
  { id: 'touched', label: 'Touched sectors', hint: 'Erase only the sectors the image covers.' },
  { id: 'differential', label: 'Differential', hint: 'Read the chip first; erase and write only sectors that differ.' },
  { id: 'mass', label: 'Mass erase', hint: texts.massEraseExplanation },
  { id: 'none', label: 'No erase', hint: texts.noEraseExplanation },
];

function modeOf(options: ProgramOptions): Mode {
  if (options.erase === 'touched' && options.differential) return 'differential';
  return options.erase;
}

function optionsFor(mode: Mode): Partial<ProgramOptions> {
  if (mode === 'differential') return { erase: 'touched', differential: true };
  return { erase: mode, differential: false };
}

export function ProgramOptionsForm({ isDisabled }: { isDisabled: boolean }) {
  const options = useApp((state) => state.session?.settings.programOptions);
  const canLeaveBlank = useApp((state) => state.session?.device?.canLeaveBlankSectors === true);
  const setOptions = useApp((state) => state.setProgramOptions);
  if (!options) return null;
  const mode = modeOf(options);
  return (
    <fieldset className="options" disabled={isDisabled}>
      <legend>Mode</legend>
      <div className="segmented" role="radiogroup" aria-label="Erase mode">
        {modes.map((item) => (
          <label key={item.id} className={`segment${mode === item.id ? ' checked' : ''}`} title={item.hint}>
            <input type="radio" name="erase-mode" value={item.id} checked={mode === item.id} onChange={() => void setOptions(optionsFor(item.id))} />
            {item.label}
          </label>
        ))}
      </div>
      <p className="muted option-hint">{modes.find((item) => item.id === mode)?.hint}</p>
      <div className="checkbox-row">
        <label className="toggle">
          <input type="checkbox" checked={options.verify} onChange={(event) => void setOptions({ verify: event.target.checked })} />
          Verify after writing
        </label>
        <label className="toggle" title="Read the parts of partly covered sectors that lie outside the image and write them back after the erase.">
          <input type="checkbox" checked={options.preserve ?? false} disabled={options.erase !== 'touched'} onChange={(event) => void setOptions({ preserve: event.target.checked })} />
          Preserve data outside the image
        </label>
        <label
          className="toggle"
          title={
            canLeaveBlank
              ? 'Read each sector before erasing it and leave one that reads blank alone (STM32F0-F4).'
              : "This chip's flash is always erased: with ECC (or on a family not checked) a blank-reading word may already be written."
          }
        >
          <input
            type="checkbox"
            checked={canLeaveBlank && (options.skipBlankSectors ?? true)}
            disabled={options.erase !== 'touched' || !canLeaveBlank}
            onChange={(event) => void setOptions({ skipBlankSectors: event.target.checked })}
          />
          Leave blank sectors alone
        </label>
        <label className="toggle">
          <input type="checkbox" checked={options.leave ?? false} onChange={(event) => void setOptions({ leave: event.target.checked })} />
          Start the application when done
        </label>
      </div>
      <FlashSizeField />
    </fieldset>
  );
}
