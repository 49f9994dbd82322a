/**
 * Model inputs → the encoded vector a model scores, as the artifact's inputs
 * say (./artifact.ts): a numeric input is standardised, (x − mean) / std, with
 * a missing, null or non-finite value replaced by `fill` first and booleans
 * read as 1 and 0; a categorical input is one-hot over its categories, all
 * zeros when the value is missing or was never seen in training.
 *
 * Shared by training (which encodes its folds with the same code it ships),
 * the inference endpoint and `predict --local`. `createEncoder` compiles the
 * inputs once (category lookups as Maps, offsets precomputed) so encoding a
 * row in the endpoint's hot path allocates nothing.
 */
import { encodedWidth, type ModelInput } from './artifact.js';

/** A number from a feature value: numbers as they are, bigints (DuckDB counts) as numbers, booleans as 1/0; else NaN. */
export function numericValue(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'bigint':
      return Number(value);
    default:
      return Number.NaN;
  }
}

/** The category a feature value names, or undefined when it names none (null, missing, objects). */
export function categoryOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

type Step =
  | {
      readonly kind: 'numeric';
      readonly name: string;
      readonly at: number;
      readonly mean: number;
      readonly std: number;
      readonly fill: number;
    }
  | {
      readonly kind: 'categorical';
      readonly name: string;
      readonly at: number;
      readonly width: number;
      readonly index: ReadonlyMap<string, number>;
    };

export interface Encoder {
  /** The encoded vector's length. */
  readonly width: number;
  /** Encodes one row (values by input name) into `out` from `offset`; writes every one of its `width` cells. */
  encodeInto(values: Readonly<Record<string, unknown>>, out: Float64Array, offset?: number): void;
  /** One row as a new vector. */
  encode(values: Readonly<Record<string, unknown>>): Float64Array;
  /** Rows as one row-major matrix: row r at [r·width, (r+1)·width). */
  encodeRows(rows: readonly Readonly<Record<string, unknown>>[]): Float64Array;
}

export function createEncoder(inputs: readonly ModelInput[]): Encoder {
  const steps: Step[] = [];
  let at = 0;
  for (const input of inputs) {
    if (input.type === 'numeric') {
      steps.push({ kind: 'numeric', name: input.name, at, mean: input.mean, std: input.std, fill: input.fill });
      at += 1;
    } else {
      const index = new Map(input.categories.map((c, i) => [c, i] as const));
      steps.push({ kind: 'categorical', name: input.name, at, width: input.categories.length, index });
      at += input.categories.length;
    }
  }
  const width = encodedWidth(inputs);
  const encodeInto = (values: Readonly<Record<string, unknown>>, out: Float64Array, offset = 0): void => {
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s] as Step;
      const value = values[step.name];
      if (step.kind === 'numeric') {
        let x = numericValue(value);
        if (!Number.isFinite(x)) x = step.fill;
        out[offset + step.at] = (x - step.mean) / step.std;
      } else {
        const base = offset + step.at;
        out.fill(0, base, base + step.width);
        const category = categoryOf(value);
        const i = category === undefined ? undefined : step.index.get(category);
        if (i !== undefined) out[base + i] = 1;
      }
    }
  };
  return {
    width,
    encodeInto,
    encode(values) {
      const out = new Float64Array(width);
      encodeInto(values, out);
      return out;
    },
    encodeRows(rows) {
      const out = new Float64Array(rows.length * width);
      for (let r = 0; r < rows.length; r++) encodeInto(rows[r] as Readonly<Record<string, unknown>>, out, r * width);
      return out;
    },
  };
}

/** One row's encoded vector. For many rows, make one `createEncoder` and reuse it. */
export function encodeRow(inputs: readonly ModelInput[], values: Readonly<Record<string, unknown>>): Float64Array {
  return createEncoder(inputs).encode(values);
}

/** Rows as one row-major matrix of `encodedWidth(inputs)` columns. */
export function encodeRows(inputs: readonly ModelInput[], rows: readonly Readonly<Record<string, unknown>>[]): Float64Array {
  return createEncoder(inputs).encodeRows(rows);
}
