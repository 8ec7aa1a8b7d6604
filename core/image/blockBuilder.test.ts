import { BlockBuilder, findOverlap } from './blockBuilder.js';

function put(builder: BlockBuilder, address: number, bytes: number[], line: number): void {
  const offset = builder.begin(address, bytes.length, line);
  builder.buffer.set(bytes, offset);
}

describe('BlockBuilder', () => {
  it('extends a run while records continue it and merges adjacent runs given out of order', () => {
    const builder = new BlockBuilder(16);
    put(builder, 0x104, [5, 6], 1);
    put(builder, 0x106, [7], 2);
    put(builder, 0x100, [1, 2, 3, 4], 3);
    put(builder, 0x200, [9], 4);
    put(builder, 0x150, [], 5);
    expect(builder.finish()).toEqual({
      blocks: [
        { start: 0x100, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7) },
        { start: 0x200, data: Uint8Array.of(9) },
      ],
    });
  });

  it('reports the first address claimed twice', () => {
    const builder = new BlockBuilder(16);
    put(builder, 0x10, [1, 2, 3, 4], 1);
    put(builder, 0x00, [1], 2);
    put(builder, 0x12, [1, 2, 3, 4], 3);
    expect(builder.finish().overlap).toEqual({ address: 0x12 });
  });

  it('records the lines covering an address in locate mode', () => {
    const builder = new BlockBuilder(16, 0x13);
    put(builder, 0x10, [1, 2, 3, 4], 7);
    put(builder, 0x20, [1], 8);
    put(builder, 0x12, [1, 2], 9);
    expect(builder.hits).toEqual([7, 9]);
  });
});

describe('findOverlap', () => {
  it('returns the first overlapping pair by address, ignoring empty ranges', () => {
    const a = { start: 0, end: 10, label: 'a' };
    const b = { start: 20, end: 30, label: 'b' };
    const c = { start: 25, end: 26, label: 'c' };
    expect(findOverlap([b, a, { start: 5, end: 5, label: 'empty' }])).toBeUndefined();
    expect(findOverlap([c, a, b])).toEqual({ first: b, second: c });
  });
});
