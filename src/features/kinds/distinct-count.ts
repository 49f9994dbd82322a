import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { estimate, hash53, indexAndRank, REGISTERS } from './hyperloglog.js';
import { type AggregationKindDef, type AggregationOps, type AggregationState, newer, type Scalar, storedBase } from './kind.js';

/**
 * Exact while a tile has seen at most EXACT_LIMIT distinct values (their
 * 53-bit hashes: a collision among 100 values has odds of about 1 in 10¹²),
 * a HyperLogLog sketch (./hyperloglog.ts, ≈ 0.8 % standard error) beyond.
 */
export interface DistinctState extends AggregationState {
  exact: Set<number> | undefined;
  registers: Uint8Array | undefined;
}

export const EXACT_LIMIT = 100;
/**
 * What a distinct count past EXACT_LIMIT is checked against: three standard errors of a
 * HyperLogLog of 2^14 registers (1.04 / √16384 ≈ 0.81 % each), about 2.4 %.
 */
export const HLL_TOLERANCE = 3 * (1.04 / Math.sqrt(2 ** 14));
/** Past this many set registers the dense form (one byte each) is smaller than the sparse one (four bytes each). */
const SPARSE_LIMIT = REGISTERS / 4;

function toRegisters(hashes: Iterable<number>, into = new Uint8Array(REGISTERS)): Uint8Array {
  for (const h of hashes) {
    const [index, rank] = indexAndRank(h);
    if (rank > (into[index] as number)) into[index] = rank;
  }
  return into;
}

function addHash(state: DistinctState, h: number): void {
  if (state.exact) {
    state.exact.add(h);
    if (state.exact.size > EXACT_LIMIT) {
      state.registers = toRegisters(state.exact);
      state.exact = undefined;
    }
    return;
  }
  const [index, rank] = indexAndRank(h);
  const registers = state.registers as Uint8Array;
  if (rank > (registers[index] as number)) registers[index] = rank;
}

/** A value's identity for counting: its type and its text, so 1 and "1" differ. */
const valueHash = (value: Scalar): number => hash53(`${typeof value}:${String(value)}`);

function encodeRegisters(registers: Uint8Array): Record<string, unknown> {
  let set = 0;
  for (let i = 0; i < REGISTERS; i++) if (registers[i] !== 0) set++;
  // Dense: the registers deflated (small ranks repeat: ~5 KB where raw they are 16 KB, so a tile write
  // is charged ~6 write units, not 17).
  if (set > SPARSE_LIMIT) return { z: deflateRawSync(registers) };
  // Sparse: each set register as a big-endian uint32 of index << 6 | rank.
  const sparse = new Uint8Array(set * 4);
  const view = new DataView(sparse.buffer);
  let at = 0;
  for (let i = 0; i < REGISTERS; i++) {
    const rank = registers[i] as number;
    if (rank !== 0) {
      view.setUint32(at, (i << 6) | rank);
      at += 4;
    }
  }
  return { s: sparse };
}

function decodeRegisters(stored: Readonly<Record<string, unknown>>): Uint8Array | undefined {
  if (stored.z instanceof Uint8Array) return new Uint8Array(inflateRawSync(stored.z));
  // Dense and uncompressed: what items written before the deflated form hold.
  if (stored.r instanceof Uint8Array) return Uint8Array.from(stored.r);
  if (stored.s instanceof Uint8Array) {
    const registers = new Uint8Array(REGISTERS);
    const view = new DataView(stored.s.buffer, stored.s.byteOffset, stored.s.byteLength);
    for (let at = 0; at + 4 <= stored.s.byteLength; at += 4) {
      const packed = view.getUint32(at);
      registers[packed >>> 6] = packed & 63;
    }
    return registers;
  }
  return undefined;
}

const ops: AggregationOps<DistinctState> = {
  empty: () => ({ n: 0, t: 0, exact: new Set(), registers: undefined }),
  add(state, value, t) {
    addHash(state, valueHash(value as Scalar));
    state.n += 1;
    if (t > state.t) state.t = t;
  },
  merge(earlier, later) {
    const merged: DistinctState = {
      n: earlier.n + later.n,
      t: newer(earlier.t, later.t),
      exact: new Set(),
      registers: undefined,
    };
    for (const side of [earlier, later]) {
      if (side.registers) {
        if (merged.exact) {
          merged.registers = toRegisters(merged.exact);
          merged.exact = undefined;
        }
        const registers = merged.registers as Uint8Array;
        for (let i = 0; i < REGISTERS; i++) {
          if ((side.registers[i] as number) > (registers[i] as number)) registers[i] = side.registers[i] as number;
        }
      } else {
        for (const h of side.exact ?? []) addHash(merged, h);
      }
    }
    return merged;
  },
  value: (state) => (state.exact ? state.exact.size : Math.round(estimate(state.registers as Uint8Array))),
  // Exact offline: the online value is exact to 100 values, then within the sketch's error.
  sql: (rows) => `count(DISTINCT ${rows.value})`,
  defaultValue: 0,
  encode: (state) => ({
    n: state.n,
    t: state.t,
    ...(state.exact ? { h: [...state.exact] } : encodeRegisters(state.registers as Uint8Array)),
  }),
  decode(stored) {
    const registers = decodeRegisters(stored);
    // A state with neither form is not one this kind wrote: serving 0 for it would hide the problem.
    if (!registers && !Array.isArray(stored.h)) {
      throw new Error(`distinct_count state has no hashes (h) and no registers (z, r, s): ${Object.keys(stored).join(', ')}`);
    }
    return {
      ...storedBase(stored),
      exact: registers ? undefined : new Set(((stored.h ?? []) as unknown[]).map(Number)),
      registers,
    };
  },
};

/** Distinct values of a field: exact up to 100 per tile, a HyperLogLog sketch beyond (≈ 0.8 % standard error). */
export const distinctCount: AggregationKindDef<DistinctState> = {
  name: 'distinct_count',
  description: `distinct values of a field: exact up to ${EXACT_LIMIT}, HyperLogLog beyond (≈ 0.8 % standard error; 0 when empty)`,
  field: 'any',
  bind: () => ops,
};
