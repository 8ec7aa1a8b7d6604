import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeMessage, encodeBase64, encodeMessage } from './wire.js';

describe('wire', () => {
  it('round-trips bytes of every length through base64, matching Node', () => {
    for (const length of [0, 1, 2, 3, 4, 255, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 37) & 0xff);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(decodeBase64(text))).toEqual(Array.from(bytes));
    }
  });

  it('carries byte arrays nested in a message', () => {
    const message = { id: 3, method: 'openImage', args: [{ kind: 'bytes', fileName: 'a.bin', bytes: new Uint8Array([0, 255, 7]) }] };
    const decoded = decodeMessage(encodeMessage(message)) as typeof message;
    expect(decoded.args[0]!.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.args[0]!.bytes)).toEqual([0, 255, 7]);
  });
});
