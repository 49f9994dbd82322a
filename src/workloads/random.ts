/**
 * A small seeded PRNG for workload generators. sfc32 passes PractRand, has a
 * 128-bit state (long period, so 10M-event runs never cycle) and is a few
 * integer ops per draw, which keeps the generators well above 200k events/s.
 * Math.random cannot be seeded, and reproducible workloads are the point.
 */

/** A 32-bit hash of any number of integers (murmur3 finaliser per step): turns seeds into independent streams. */
export function hash32(...values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    // Split so values beyond 2^32 (epoch milliseconds) keep their high bits.
    for (const part of [value >>> 0, Math.floor(value / 4_294_967_296) >>> 0]) {
      h = Math.imul(h ^ part, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = hash32(seed, 1);
    this.b = hash32(seed, 2);
    this.c = hash32(seed, 3);
    this.d = 1;
    // The first outputs of sfc32 are correlated with the seed: discard them.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight; `weights` need not sum to 1. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((sum, w) => sum + w, 0);
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }

  /** `bits` random bits as lowercase hex (bits ≤ 32). */
  hex(bits: number): string {
    return (this.uint32() >>> (32 - bits)).toString(16).padStart(bits / 4, '0');
  }
}

/**
 * Zipf-like popularity over n items: item i (0-based) is drawn with weight
 * 1 / (i + 1)^exponent, by binary search over the cumulative weights (O(log n)).
 * Exponent 1 gives the classic long tail: the top 1 % of 1,000 items take about a
 * third of the draws.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    exponent: number,
  ) {
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`Zipf needs at least one item, not ${n}`);
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += 1 / (i + 1) ** exponent;
      this.cumulative[i] = total;
    }
  }

  draw(random: Random): number {
    const r = random.next() * (this.cumulative[this.n - 1] as number);
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** A uniform number in [0, 1) fixed by its inputs: a property of an entity that must not depend on draw order. */
export function unitHash(...values: readonly number[]): number {
  return hash32(...values) / 4_294_967_296;
}

/** A standard normal draw from two uniforms (Box–Muller). */
export function normalFrom(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * The relative activity of something that peaks at `peakHour` (UTC) at the time
 * `ms`: 1 + amplitude × cos(2π (hour − peak) / 24), between 1 − amplitude and 1 + amplitude.
 */
export function diurnal(ms: number, peakHour: number, amplitude: number): number {
  const hour = (ms / 3_600_000) % 24;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - peakHour)) / 24);
}
