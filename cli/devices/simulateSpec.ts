// --simulate PROFILE[xN][:SCENARIO]: the simulator's own spec (core/simulator/scenarios.ts) plus a
// count, so `--simulate stm32l073x3` gives three equal boards for --all. Equal boards report the
// profile's serial number, like clones on a production bench; their USB paths differ.
import { profiles } from '../../core/simulator/profiles.js';
import { parseSimulatorSpec } from '../../core/simulator/scenarios.js';
import { DfuError } from '../../core/errors.js';

export interface SimulateRequest {
  /** The spec handed to the simulator bus ("stm32l073:unplugMidWrite"). */
  readonly spec: string;
  readonly count: number;
}

const MAX_SIMULATED_DEVICES = 64;

export function parseSimulateOption(text: string): SimulateRequest {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  let profilePart = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const scenarioPart = colon < 0 ? '' : trimmed.slice(colon);
  let count = 1;
  // A profile id may itself contain an 'x' (stm32l072xb), so a known id wins over a count suffix.
  const counted = /^(.*)x([0-9]+)$/i.exec(profilePart);
  if (!profiles[profilePart.toLowerCase()] && counted && profiles[counted[1]!.toLowerCase()]) {
    profilePart = counted[1]!;
    count = Number.parseInt(counted[2]!, 10);
    if (count < 1 || count > MAX_SIMULATED_DEVICES) {
      throw new DfuError({ kind: 'invalid-argument', argument: '--simulate', reason: `'${text}': the count must be 1 to ${MAX_SIMULATED_DEVICES}` });
    }
  }
  const spec = `${profilePart}${scenarioPart}`;
  try {
    parseSimulatorSpec(spec);
  } catch (error) {
    const reason = error instanceof DfuError && error.info.kind === 'invalid-argument' ? error.info.reason : error instanceof Error ? error.message : String(error);
    throw new DfuError({ kind: 'invalid-argument', argument: '--simulate', reason }, { cause: error });
  }
  return { spec, count };
}
