// `dfu-desk verify FILE`: read the device back and compare it with the image; prints the diff
// summary and the engine's diagnosis (not erased, write did not land, shifted image...).
import { commonOptions, deviceOptions, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { imageTargetOptions, prepareImageJob, runOnSelectedDevices } from './flash.js';

const spec: CommandSpec = {
  name: 'verify',
  summary: 'Read the device back and compare it with a firmware file; print the differences and a diagnosis.',
  positionals: [{ name: 'FILE', required: true, description: 'a .hex, .srec, .elf, .dfu or .bin file' }],
  options: { ...commonOptions, ...deviceOptions, ...imageTargetOptions },
  notes: ['Example: dfu-desk verify firmware.hex --report verify.md'],
};

function run(context: CommandContext): Promise<CommandOutcome> {
  const { job, input } = prepareImageJob(context, 'verify');
  return runOnSelectedDevices(context, job, input);
}

export const verifyCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
