import { readFileSync } from 'node:fs';
import { DfuError, type ConfirmationKind } from '../errors.js';
import { checkConfirmed, cliFlagOf, confirmation, formatWritePolicy, missingConfirmations, writePolicy } from './confirmations.js';

const KINDS: readonly ConfirmationKind[] = ['permanent-lock', 'read-unprotect', 'write-option-bytes', 'write-otp', 'file-for-other-device'];

describe('confirmations', () => {
  it('refuses with the first missing confirmation, naming it and its consequence', () => {
    const needed = [confirmation('write-otp', 'writes 16 B into OTP Memory'), confirmation('permanent-lock', 'locks the chip')];
    expect(missingConfirmations(needed, ['permanent-lock']).map((c) => c.kind)).toEqual(['write-otp']);
    let error: unknown;
    try {
      checkConfirmed(needed, ['permanent-lock']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DfuError);
    expect((error as DfuError).info).toEqual({ kind: 'confirmation-required', action: 'write-otp', reason: 'writes 16 B into OTP Memory' });
    expect(() => checkConfirmed(needed, ['write-otp', 'permanent-lock'])).not.toThrow();
  });

  it('has a distinct CLI flag for every kind, and the policy table names each kind once', () => {
    const flags = KINDS.map(cliFlagOf);
    expect(new Set(flags).size).toBe(KINDS.length);
    for (const kind of KINDS) expect(writePolicy.filter((row) => row.confirmation === kind)).toHaveLength(1);
    expect(writePolicy.filter((row) => row.isIrreversible).map((row) => row.confirmation)).toEqual(['permanent-lock', 'write-otp']);
  });

  it('is the table README.md and docs/engine.md print', () => {
    const table = formatWritePolicy();
    for (const doc of ['../../README.md', '../../docs/engine.md']) {
      expect(readFileSync(new URL(doc, import.meta.url), 'utf8'), doc).toContain(table);
    }
  });
});
