/**
 * The model registry at a glance: each model's number of versions and the
 * versions its `current` and `shadow` aliases point at (src/models/registry.ts).
 */
import { listModels, listVersions, type ModelStore, readAlias } from '../models/registry.js';
import type { ModelStatus } from './status.js';

export async function summarizeModels(store: ModelStore): Promise<ModelStatus[]> {
  const models: ModelStatus[] = [];
  for (const name of await listModels(store)) {
    const [versions, current, shadow] = await Promise.all([
      listVersions(store, name),
      readAlias(store, name, 'current'),
      readAlias(store, name, 'shadow'),
    ]);
    models.push({
      name,
      versions: versions.length,
      ...(current ? { current: current.version } : {}),
      ...(shadow ? { shadow: shadow.version } : {}),
    });
  }
  return models;
}
