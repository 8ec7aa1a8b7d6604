// `dfu-desk unprotect --yes`: remove read protection (RDP level 1 -> 0). The chip mass-erases its
// flash as part of it (AN3156 §6.5), so the command insists on --yes.
import { DfuError } from '../../core/errors.js';
import { commonOptions, deviceOptions, flagOption, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { ExitCode } from '../exitCodes.js';
import { withOneDevice } from './deviceCommand.js';
import { resetEndingText } from '../../core/jobs/optionBytesJob.js';

const spec: CommandSpec = {
  name: 'unprotect',
  summary: 'Remove read protection (RDP level 1). This ERASES ALL FLASH; requires --yes.',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    yes: { type: 'boolean', short: 'y', description: 'confirm that the whole flash will be erased' },
  },
  notes: ['Example: dfu-desk unprotect --yes'],
};

function run(context: CommandContext): Promise<CommandOutcome> {
  if (!flagOption(context.values, 'yes')) {
    throw new DfuError({ kind: 'confirmation-required', action: 'read-unprotect', reason: 'removing read protection erases all flash; add --yes' });
  }
  checkDeviceOptions(context.values, context.io.env);
  return withOneDevice(context, {
    run: async ({ session }) => {
      const outcome = await session.readUnprotect({ iUnderstandTheFlashIsErased: true });
      context.reporter.text(resetEndingText('read-unprotect', outcome));
      return { exitCode: ExitCode.ok, result: { reset: outcome === 'reset' } };
    },
  });
}

export const unprotectCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
