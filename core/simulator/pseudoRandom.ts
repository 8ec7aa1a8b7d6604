// Deterministic pseudo-random bytes: the simulator's "old application" and the test and benchmark
// images, the same on every run and machine. Here rather than in core/testing/ because the
// simulator (product code) uses the LCG, and the libusb harness can reach core/simulator only.
// Neither generator is fit for anything but test data.

/**
 * The top byte of each step of the 32-bit LCG x' = 1664525·x + 1013904223 (the constants of
 * Numerical Recipes); its high bits are the well-mixed ones.
 */
export function lcgBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** One step of Marsaglia's xorshift32 (shifts 13, 17, 5), as an unsigned 32-bit value. */
function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** The low byte of each xorshift32 step; seed 0 counts as 1 (0 is xorshift's fixed point). */
export function xorshiftBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = xorshift32(x);
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * The same xorshift32 steps mapped to 1..253: never 0x00 or 0xFF, so no byte and no run of bytes
 * looks erased, whatever a chip's erased value is, and every byte written really changes flash.
 */
export function nonErasedBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = xorshift32(x);
    out[i] = 1 + (x % 253);
  }
  return out;
}

/**
 * A seeded stream of numbers in [0, 1) from xorshift32, for the simulator's random behaviour
 * (which early GETSTATUS fails, and how): the same sequence for the same seed on every run.
 */
export function seededUnit(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = xorshift32(x);
    return x / 0x1_0000_0000;
  };
}
