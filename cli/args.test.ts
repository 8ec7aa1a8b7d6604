import { DfuError } from '../core/errors.js';
import {
  parseAddressArgument,
  parseAltArgument,
  parseCommandArguments,
  parseEraseMode,
  parseLengthArgument,
  parseRangeArgument,
  type CommandSpec,
} from './args.js';

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof DfuError && error.info.kind === 'invalid-argument') return `${error.info.argument}: ${error.info.reason}`;
    throw error;
  }
  throw new Error('expected an invalid-argument error');
}

describe('argument values', () => {
  it('parses addresses in hex and decimal and names the option when malformed', () => {
    expect(parseAddressArgument('--address', '0x08004000')).toBe(0x08004000);
    expect(parseAddressArgument('--address', '134217728')).toBe(0x08000000);
    expect(reasonOf(() => parseAddressArgument('--address', '0x0800000G'))).toBe("--address: '0x0800000G' is not an address (use 0x08000000 or decimal)");
  });

  it('parses lengths with K/M suffixes and rejects zero and nonsense', () => {
    expect(parseLengthArgument('--length', '66748')).toBe(66_748);
    expect(parseLengthArgument('--length', '0x400')).toBe(1024);
    expect(parseLengthArgument('--length', '192K')).toBe(196_608);
    expect(parseLengthArgument('--length', '2MiB')).toBe(2 * 1024 * 1024);
    expect(reasonOf(() => parseLengthArgument('--length', '0'))).toContain("'0' is not a length");
    expect(reasonOf(() => parseLengthArgument('--length', '12Q'))).toContain("'12Q' is not a length");
  });

  it('parses ADDR:LEN ranges as half-open ranges', () => {
    expect(parseRangeArgument('--range', '0x08004000:16K')).toEqual({ start: 0x08004000, end: 0x08008000 });
    expect(reasonOf(() => parseRangeArgument('--range', '0x08004000'))).toContain('is not ADDR:LEN');
    expect(reasonOf(() => parseRangeArgument('--range', '0xFFFFFF00:0x200'))).toContain('runs past the end');
  });

  it('parses --alt as a number or a name, and the erase mode', () => {
    expect(parseAltArgument('2')).toEqual({ kind: 'index', index: 2 });
    expect(parseAltArgument(' Option Bytes ')).toEqual({ kind: 'name', name: 'Option Bytes' });
    expect(reasonOf(() => parseAltArgument('300'))).toContain('does not exist');
    expect(parseEraseMode('mass')).toBe('mass');
    expect(reasonOf(() => parseEraseMode('all'))).toBe("--erase: 'all' is not one of touched, mass, none");
  });
});

describe('parseCommandArguments', () => {
  const spec: CommandSpec = {
    name: 'demo',
    summary: 'demo',
    positionals: [{ name: 'FILE', required: true, description: 'file' }],
    options: {
      json: { type: 'boolean', description: 'json' },
      simulate: { type: 'string', multiple: true, description: 'sim' },
      'no-verify': { type: 'boolean', description: 'skip' },
    },
  };

  it('returns values and positionals', () => {
    const parsed = parseCommandArguments(spec, ['a.hex', '--simulate', 'x', '--simulate=y', '--no-verify']);
    expect(parsed.positionals).toEqual(['a.hex']);
    expect(parsed.values).toMatchObject({ simulate: ['x', 'y'], 'no-verify': true });
  });

  it('reports unknown options, missing and surplus positionals as usage errors', () => {
    expect(reasonOf(() => parseCommandArguments(spec, ['a.hex', '--nope']))).toBe("arguments: unknown option '--nope'");
    expect(reasonOf(() => parseCommandArguments(spec, []))).toBe('arguments: missing FILE');
    expect(reasonOf(() => parseCommandArguments(spec, ['a', 'b']))).toBe("arguments: unexpected argument 'b'");
    expect(reasonOf(() => parseCommandArguments(spec, ['a', '--simulate']))).toContain("option '--simulate <value>' argument missing");
  });
});
