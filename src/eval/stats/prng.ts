import { InvalidOptionError } from "../../errors.js";

// A seeded pseudo-random generator, so that sampled tests and bootstrap intervals come out the same on every rerun
// and every platform (Math.random cannot be seeded). xoshiro128** (Blackman & Vigna), seeded by splitmix32.

/** Uniform numbers in [0, 1) from a seed; the same seed gives the same sequence everywhere. */
export type Prng = () => number;

/** A xoshiro128** generator seeded with a non-negative integer. */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidOptionError(`createPrng: \`seed\` must be a non-negative integer, got ${String(seed)}.`);
  }
  // splitmix32 spreads the seed over the 128-bit state (an all-zero state would stay zero).
  let s = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 2 ** 32;
  };
}
