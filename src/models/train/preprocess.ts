/**
 * From training-set columns to model inputs: which columns are inputs and
 * where each comes from at serving time (a view's feature, a batch source's
 * attribute, the request's time), whether it is numeric or categorical, and
 * the encoding fitted on a fold's training rows only — mean and std with the
 * mean as fill, the 50 most frequent categories — so a validation fold never
 * leaks into its own preprocessing.
 */

import { TIME_COLUMNS, trainingColumns } from '../../query/training-set.js';
import type { InputSource, ModelInput } from '../artifact.js';
import type { Model } from '../define.js';
import { categoryOf, numericValue } from '../encode.js';

/** At most this many categories per categorical input; rarer values encode as unseen (all zeros). */
export const MAX_CATEGORIES = 50;

/** An input before fitting: its column, where it comes from, and its kind. */
export interface InputColumn {
  readonly name: string;
  readonly source: InputSource;
  readonly type: 'numeric' | 'categorical';
}

export interface InputSelection {
  readonly inputs: InputColumn[];
  /** Candidate columns left out, and why. */
  readonly skipped: { readonly column: string; readonly why: string }[];
}

type Row = Readonly<Record<string, unknown>>;

/** numeric (numbers, bigints, booleans), categorical (strings), or why neither (lists, sketches, dates, always empty). */
function kindOf(rows: readonly Row[], column: string): 'numeric' | 'categorical' | string {
  let numbers = 0;
  let strings = 0;
  for (const row of rows) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    const type = typeof value;
    if (type === 'number' || type === 'bigint' || type === 'boolean') numbers++;
    else if (type === 'string') strings++;
    else
      return `${Array.isArray(value) ? 'a list' : value instanceof Date ? 'a timestamp' : 'an object'}, not a number or a category`;
  }
  if (strings > 0) return 'categorical';
  if (numbers > 0) return 'numeric';
  return 'empty in every row';
}

/**
 * The model's inputs among the training set's columns: each served feature of its views (named as
 * trainingColumns names them), its batch sources' `<source>__<feature>` columns, and with timeInputs
 * the time columns; only `model.inputs` when it names some.
 */
export function selectInputs(model: Model, columns: readonly string[], rows: readonly Row[]): InputSelection {
  const present = new Set(columns);
  const candidates: { name: string; source: InputSource }[] = [];
  for (const { view, name, as } of trainingColumns(model.views)) {
    if (present.has(as)) candidates.push({ name: as, source: { kind: 'view', view: view.name, feature: name } });
  }
  for (const source of model.batchSources) {
    for (const feature of source.features) {
      const name = `${source.name}__${feature}`;
      if (present.has(name)) candidates.push({ name, source: { kind: 'batch', source: source.name, feature } });
    }
  }
  if (model.timeInputs) {
    for (const part of TIME_COLUMNS) if (present.has(part)) candidates.push({ name: part, source: { kind: 'time', part } });
  }
  let chosen = candidates;
  if (model.inputs) {
    const wanted = new Set(model.inputs);
    const missing = model.inputs.filter((name) => !candidates.some((c) => c.name === name));
    if (missing.length > 0)
      throw new Error(`model ${model.name}: inputs ${missing.join(', ')} are not columns of the training set its views make`);
    chosen = candidates.filter((c) => wanted.has(c.name));
  }
  const inputs: InputColumn[] = [];
  const skipped: { column: string; why: string }[] = [];
  for (const candidate of chosen) {
    const kind = kindOf(rows, candidate.name);
    if (kind === 'numeric' || kind === 'categorical') inputs.push({ ...candidate, type: kind });
    else skipped.push({ column: candidate.name, why: kind });
  }
  return { inputs, skipped };
}

/** Each input's encoding fitted on `rows` (the training fold); inputs with nothing to fit (no value, no category) are left out. */
export function fitInputs(columns: readonly InputColumn[], rows: readonly Row[]): ModelInput[] {
  const fitted: ModelInput[] = [];
  for (const column of columns) {
    if (column.type === 'numeric') {
      let n = 0;
      let mean = 0;
      let m2 = 0;
      for (const row of rows) {
        const x = numericValue(row[column.name]);
        if (!Number.isFinite(x)) continue;
        // Welford: stable for large counts.
        n++;
        const delta = x - mean;
        mean += delta / n;
        m2 += delta * (x - mean);
      }
      if (n === 0) continue;
      const std = Math.sqrt(m2 / n);
      fitted.push({ name: column.name, source: column.source, type: 'numeric', mean, std: std > 1e-12 ? std : 1, fill: mean });
    } else {
      const counts = new Map<string, number>();
      for (const row of rows) {
        const category = categoryOf(row[column.name]);
        if (category !== undefined) counts.set(category, (counts.get(category) ?? 0) + 1);
      }
      if (counts.size === 0) continue;
      const categories = [...counts]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, MAX_CATEGORIES)
        .map(([name]) => name);
      fitted.push({ name: column.name, source: column.source, type: 'categorical', categories });
    }
  }
  return fitted;
}
