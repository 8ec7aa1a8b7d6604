// dfu-desk: the command line. runCli is the whole program minus the process glue (index.ts), so it
// can also run in-process (tests of station mode, embedding).
import { resolve } from 'node:path';
import { DfuError, describe, toDfuError, type DfuErrorInfo } from '../core/errors.js';
import { printableLines } from '../core/printable.js';
import { errorJson } from './errorJson.js';
import { formatCommandHelp, parseCommandArguments, stringOption, type CommandSpec } from './args.js';
import type { CliIo, Command } from './context.js';
import { errorText } from './errorText.js';
import { ExitCode, exitCodeFor, type ExitCodeValue } from './exitCodes.js';
import { HumanSink } from './output/humanSink.js';
import { JsonSink } from './output/jsonSink.js';
import { LogFileSink } from './output/logFileSink.js';
import { Reporter, type OutputSink } from './output/reporter.js';
import { commands } from './commands/registry.js';
import { deviceSummaryJson } from './devices/deviceSession.js';
import { describeCandidate, SelectionError } from './devices/selectDevice.js';

export function globalHelp(): string {
  const width = Math.max(...commands.map((command) => command.spec.name.length));
  return [
    'Usage: dfu-desk <command> [options]',
    '',
    'Program STM32 microcontrollers over the ST DfuSe USB bootloader.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.spec.name.padEnd(width)}  ${command.spec.summary}`),
    '',
    'Run `dfu-desk <command> --help` for the options of a command.',
    'Try it without hardware: dfu-desk flash firmware.hex --simulate stm32l073',
    '',
  ].join('\n');
}

function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.spec.name === name);
}

/** Runs one dfu-desk invocation and resolves with its exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo, version: string): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.stdout.write(topic ? formatCommandHelp(topic.spec) : globalHelp());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`dfu-desk ${version}\n`);
    return ExitCode.ok;
  }
  const wantsJson = rest.includes('--json');
  const command = findCommand(name);
  if (!command) {
    return failEarly(io, wantsJson, name, {
      kind: 'invalid-argument',
      argument: 'command',
      reason: `unknown command '${name}' (commands: ${commands.map((c) => c.spec.name).join(', ')})`,
    });
  }

  let parsed;
  try {
    parsed = parseCommandArguments(command.spec, rest);
  } catch (error) {
    return failEarly(io, wantsJson, name, toDfuError(error).info, command.spec);
  }
  if (parsed.values.help === true) {
    io.stdout.write(formatCommandHelp(command.spec));
    return ExitCode.ok;
  }

  const isJson = parsed.values.json === true;
  const sinks: OutputSink[] = [
    isJson
      ? new JsonSink(io.stdout)
      : new HumanSink({
          stdout: io.stdout,
          stderr: io.stderr,
          verbose: parsed.values.verbose === true,
          labelDevices: parsed.values.all === true || parsed.values.watch === true,
        }),
  ];
  const logPath = stringOption(parsed.values, 'log');
  let logSink: LogFileSink | undefined;
  if (logPath !== undefined) {
    try {
      logSink = new LogFileSink(resolve(io.cwd, logPath), () => io.wallClock());
      sinks.push(logSink);
    } catch (error) {
      return failEarly(io, isJson, name, toDfuError(error).info);
    }
  }
  const reporter = new Reporter(sinks, () => io.now());

  let exitCode: ExitCodeValue;
  let result: Readonly<Record<string, unknown>> = {};
  let failure: DfuErrorInfo | undefined;
  let candidatesText = '';
  try {
    const outcome = await command.run({ io, version, values: parsed.values, positionals: parsed.positionals, reporter, isJson });
    exitCode = outcome.exitCode;
    result = outcome.result;
    failure = outcome.error;
  } catch (error) {
    const dfuError = io.signal.aborted && !(error instanceof DfuError) ? new DfuError({ kind: 'cancelled', during: name }) : toDfuError(error);
    failure = dfuError.info;
    if (error instanceof SelectionError) {
      // No match or several: show what is connected so the user can pick (serial or path).
      result = { candidates: error.candidates.map(deviceSummaryJson) };
      if (!isJson && error.candidates.length > 0 && failure.kind === 'no-device') {
        candidatesText = `\nconnected DFU devices:\n${error.candidates.map((c) => `  ${describeCandidate(c)}`).join('\n')}`;
      }
    }
    exitCode = exitCodeFor(failure);
    if (failure.kind === 'internal' && error instanceof Error && error.stack) {
      reporter.log(undefined, 'debug', 'internal error', { stack: error.stack });
    }
  }

  // A log that could not be written fails an otherwise good run: the line asked for it.
  if (!failure && logSink?.problem !== undefined) {
    failure = toDfuError(logSink.problem).info;
    exitCode = exitCodeFor(failure);
  }
  // Escaped: an error may quote a device's strings (a region name, a serial) or a file's.
  if (failure && !isJson) io.stderr.write(`${printableLines(`${errorText(failure, io.platform)}${candidatesText}`)}\n`);
  reporter.record({
    type: 'result',
    command: name,
    ok: exitCode === ExitCode.ok,
    exitCode,
    ...result,
    ...(failure ? { error: errorJson(failure) } : {}),
  });
  try {
    await reporter.close();
  } catch (error) {
    const info = toDfuError(error).info;
    io.stderr.write(`${exitCode === ExitCode.ok ? 'error' : 'warning'}: the log was not saved: ${describe(info)}\n`);
    if (exitCode === ExitCode.ok) exitCode = exitCodeFor(info);
  }
  return exitCode;
}

function failEarly(io: CliIo, isJson: boolean, command: string, info: DfuErrorInfo, spec?: CommandSpec): ExitCodeValue {
  const exitCode = exitCodeFor(info);
  if (isJson) {
    io.stdout.write(`${JSON.stringify({ type: 'result', command, ok: false, exitCode, error: errorJson(info) })}\n`);
  } else {
    const usage = spec ? `\n${formatCommandHelp(spec).split('\n')[0]}\nRun \`dfu-desk ${spec.name} --help\` for all options.` : '';
    io.stderr.write(`${printableLines(`${errorText(info, io.platform)}${usage}`)}\n`);
  }
  return exitCode;
}
