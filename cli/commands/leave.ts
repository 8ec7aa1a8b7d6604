// `dfu-desk leave`: leave DFU mode and start the application (DfuSe "leave": set address, then a
// zero-length download; reference §2.6).
import { formatAddress } from '../../core/format.js';
import { commonOptions, deviceOptions, parseAddressArgument, stringOption, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { ExitCode } from '../exitCodes.js';
import { withOneDevice } from './deviceCommand.js';

const spec: CommandSpec = {
  name: 'leave',
  summary: 'Leave DFU mode and start the application.',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    address: { type: 'string', short: 'a', value: 'ADDR', description: 'where the application starts (default: the start of internal flash)' },
  },
  notes: ['Example: dfu-desk leave --address 0x08004000'],
};

function run(context: CommandContext): Promise<CommandOutcome> {
  const addressText = stringOption(context.values, 'address');
  const address = addressText !== undefined ? parseAddressArgument('--address', addressText) : undefined;
  checkDeviceOptions(context.values, context.io.env);
  return withOneDevice(context, {
    run: async ({ session }) => {
      await session.leave(address, { signal: context.io.signal });
      context.reporter.text(`Left DFU mode${address !== undefined ? `, starting the application at ${formatAddress(address)}` : ''}`);
      return { exitCode: ExitCode.ok, result: { ...(address !== undefined ? { address } : {}) } };
    },
  });
}

export const leaveCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
