/**
 * Serving's view of the registry: each model's `current` (and `shadow`)
 * version loaded once per execution environment, with its scorer, and
 * refreshed on a short TTL without making a request wait: a request past the
 * TTL is served by the loaded version while one refresh runs behind it.
 *
 * An artifact that fails validation — its schema, features the catalog does
 * not serve, a scorer that cannot be built — never replaces a good one: it is
 * reported (`onRejected`, for a metric and a log line; `status()` for
 * /health) and the loaded version keeps serving. Pinned versions (`version`
 * in a request) are immutable and cached as they are asked for.
 */

import { defaultValues } from '../domain/feature-vector.js';
import type { BatchSource } from '../features/batch-source.js';
import type { Catalog, FeatureView } from '../features/define.js';
import type { ModelArtifact } from './artifact.js';
import { type Alias, type ModelStore, readAlias, readArtifact } from './registry.js';

/** Scores rows of input values (input name → raw value) to P(positive), one per row. */
export interface Scorer {
  score(rows: readonly Readonly<Record<string, unknown>>[]): number[] | Promise<number[]>;
}

/** Builds a scorer for an artifact (native models in-process, ONNX through onnxruntime-node). */
export type ScorerFactory = (artifact: ModelArtifact, store: ModelStore) => Promise<Scorer>;

/** What a model's inputs read online: the views and batch sources of one batched read. */
export interface ReadPlan {
  readonly views: readonly FeatureView[];
  readonly batchSources: readonly BatchSource[];
}

export interface LoadedModel {
  readonly artifact: ModelArtifact;
  readonly scorer: Scorer;
  readonly reads: ReadPlan;
  /** epoch ms */
  readonly loadedAt: number;
}

export interface ModelStatus {
  readonly model: string;
  readonly alias: Alias | 'pinned';
  readonly version: string;
  readonly createdAt: string;
  readonly loadedAt: string;
  /** Since the artifact was created. */
  readonly ageSeconds: number;
  /** The newest version that was refused, and why (the loaded one kept serving). */
  readonly rejected?: { readonly version: string; readonly reason: string; readonly at: string };
}

export class ModelNotFoundError extends Error {
  constructor(
    readonly field: 'model' | 'version',
    message: string,
  ) {
    super(message);
    this.name = 'ModelNotFoundError';
  }
}

/** The model exists but no valid version of it could be loaded (all refused): 503. */
export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

export interface ModelCacheOptions {
  readonly store: ModelStore;
  readonly catalog: Catalog;
  readonly scorerFactory: ScorerFactory;
  /** How long a loaded alias is served before the registry is asked again. @default 60_000 */
  readonly ttlMs?: number;
  /** Pinned versions kept (least recently used go first). @default 8 */
  readonly maxPinned?: number;
  readonly clock?: () => number;
  readonly onRejected?: (model: string, version: string, error: Error) => void;
  readonly onLoaded?: (model: string, alias: Alias | 'pinned', version: string) => void;
}

interface AliasEntry {
  loaded?: LoadedModel;
  /** An alias that does not exist (a model without a shadow): remembered for the TTL too. */
  absent?: boolean;
  checkedAt: number;
  refreshing?: Promise<void>;
  rejected?: { version: string; reason: string; at: number };
}

/** The catalog's views and batch sources an artifact's inputs read, each feature checked to be served. */
export function planReads(artifact: ModelArtifact, catalog: Catalog): ReadPlan {
  const views = new Map<string, FeatureView>();
  const batches = new Map<string, BatchSource>();
  for (const input of artifact.inputs) {
    const { source } = input;
    if (source.kind === 'view') {
      const view = catalog.featureViews.find((v) => v.name === source.view);
      if (!view) throw new Error(`input ${input.name} reads view ${source.view}, which the catalog does not have`);
      if (view.entity.name !== artifact.entity)
        throw new Error(`input ${input.name} reads view ${view.name} of ${view.entity.name}, not ${artifact.entity}`);
      if (!(source.feature in defaultValues(view).features))
        throw new Error(`input ${input.name} reads ${view.name}.${source.feature}, which the view does not serve`);
      views.set(view.name, view);
    } else if (source.kind === 'batch') {
      const batch = (catalog.batchSources ?? []).find((b) => b.name === source.source);
      if (!batch) throw new Error(`input ${input.name} reads batch source ${source.source}, which the catalog does not have`);
      if (batch.entity.name !== artifact.entity)
        throw new Error(`input ${input.name} reads batch source ${batch.name} of ${batch.entity.name}, not ${artifact.entity}`);
      if (!(batch.features as readonly string[]).includes(source.feature))
        throw new Error(`input ${input.name} reads ${batch.name}.${source.feature}, which the source does not serve`);
      batches.set(batch.name, batch);
    }
  }
  return { views: [...views.values()], batchSources: [...batches.values()] };
}

export class ModelCache {
  private readonly aliases = new Map<string, AliasEntry>();
  private readonly pinned = new Map<string, Promise<LoadedModel>>();
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: ModelCacheOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The model's version to serve: `version` when given (404 when it does not exist), else the
   * `current` alias's. Throws ModelNotFoundError (404) or ModelUnavailableError (503).
   */
  async get(model: string, version?: string): Promise<LoadedModel> {
    if (version !== undefined) return this.getPinned(model, version);
    const loaded = await this.getAlias(model, 'current');
    if (!loaded) throw new ModelNotFoundError('model', `no model "${model}" is published (it has no current version)`);
    return loaded;
  }

  /** The model's shadow version, when it has one (never throws: a shadow must not fail a request). */
  async shadow(model: string): Promise<LoadedModel | undefined> {
    try {
      return await this.getAlias(model, 'shadow');
    } catch {
      return undefined;
    }
  }

  /** Every alias and pinned version loaded so far, for /health. */
  status(): ModelStatus[] {
    const now = this.clock();
    const describe = (loaded: LoadedModel, alias: Alias | 'pinned', rejected?: AliasEntry['rejected']): ModelStatus => ({
      model: loaded.artifact.name,
      alias,
      version: loaded.artifact.version,
      createdAt: loaded.artifact.createdAt,
      loadedAt: new Date(loaded.loadedAt).toISOString(),
      ageSeconds: Math.max(0, Math.round((now - Date.parse(loaded.artifact.createdAt)) / 1000)),
      ...(rejected
        ? { rejected: { version: rejected.version, reason: rejected.reason, at: new Date(rejected.at).toISOString() } }
        : {}),
    });
    const out: ModelStatus[] = [];
    for (const [key, entry] of this.aliases) {
      if (entry.loaded) out.push(describe(entry.loaded, key.split('@')[1] as Alias, entry.rejected));
    }
    return out;
  }

  /** Refused artifacts per model and alias (none loaded or not), for /health. */
  rejections(): { model: string; alias: Alias; version: string; reason: string; at: string }[] {
    return [...this.aliases].flatMap(([key, entry]) => {
      if (!entry.rejected) return [];
      const [model, alias] = key.split('@') as [string, Alias];
      return [
        {
          model,
          alias,
          version: entry.rejected.version,
          reason: entry.rejected.reason,
          at: new Date(entry.rejected.at).toISOString(),
        },
      ];
    });
  }

  private async getAlias(model: string, alias: Alias): Promise<LoadedModel | undefined> {
    const key = `${model}@${alias}`;
    let entry = this.aliases.get(key);
    if (!entry) {
      entry = { checkedAt: 0 };
      this.aliases.set(key, entry);
    }
    const stale = this.clock() - entry.checkedAt >= this.ttlMs;
    if (stale && !entry.refreshing)
      entry.refreshing = this.refresh(model, alias, entry).finally(() => (entry.refreshing = undefined));
    // Nothing to serve yet: wait for the load. Otherwise serve what is loaded while the refresh runs.
    if (!entry.loaded && !entry.absent && entry.refreshing) await entry.refreshing;
    if (entry.loaded) return entry.loaded;
    if (entry.absent) return undefined;
    throw new ModelUnavailableError(
      `model "${model}" has no version that can be served: ${entry.rejected ? `version ${entry.rejected.version} was refused (${entry.rejected.reason})` : 'its registry could not be read'}`,
    );
  }

  private async refresh(model: string, alias: Alias, entry: AliasEntry): Promise<void> {
    let record: Awaited<ReturnType<typeof readAlias>>;
    try {
      record = await readAlias(this.options.store, model, alias);
    } catch (error) {
      // The registry is unreachable or the alias unreadable: keep serving; try again next time.
      entry.rejected = { version: '?', reason: `alias ${alias} unreadable: ${(error as Error).message}`, at: this.clock() };
      this.options.onRejected?.(model, '?', error as Error);
      return;
    }
    entry.checkedAt = this.clock();
    if (!record) {
      entry.absent = !entry.loaded;
      return;
    }
    entry.absent = false;
    if (entry.loaded?.artifact.version === record.version) {
      entry.rejected = undefined; // the alias is back on the version being served
      return;
    }
    if (entry.rejected?.version === record.version) return; // refused before: not retried until the alias moves
    try {
      entry.loaded = await this.load(model, record.version);
      entry.rejected = undefined;
      this.options.onLoaded?.(model, alias, record.version);
    } catch (error) {
      entry.rejected = { version: record.version, reason: (error as Error).message, at: this.clock() };
      this.options.onRejected?.(model, record.version, error as Error);
    }
  }

  private getPinned(model: string, version: string): Promise<LoadedModel> {
    const key = `${model}@${version}`;
    let loading = this.pinned.get(key);
    if (loading) {
      this.pinned.delete(key);
      this.pinned.set(key, loading);
      return loading;
    }
    loading = this.load(model, version).catch((error: Error) => {
      this.pinned.delete(key);
      throw error;
    });
    this.pinned.set(key, loading);
    for (const oldest of this.pinned.keys()) {
      if (this.pinned.size <= (this.options.maxPinned ?? 8)) break;
      this.pinned.delete(oldest);
    }
    return loading;
  }

  /** Reads, validates and builds a version; throws ModelNotFoundError when it does not exist. */
  private async load(model: string, version: string): Promise<LoadedModel> {
    let artifact: ModelArtifact | undefined;
    try {
      artifact = await readArtifact(this.options.store, model, version);
    } catch (error) {
      throw new Error(`version ${version} of ${model} is not a valid artifact: ${(error as Error).message}`);
    }
    if (!artifact) throw new ModelNotFoundError('version', `model "${model}" has no version ${version}`);
    if (artifact.name !== model || artifact.version !== version)
      throw new Error(`models/${model}/${version}/artifact.json says it is ${artifact.name} version ${artifact.version}`);
    const reads = planReads(artifact, this.options.catalog);
    const scorer = await this.options.scorerFactory(artifact, this.options.store);
    return { artifact, scorer, reads, loadedAt: this.clock() };
  }
}
