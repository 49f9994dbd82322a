/**
 * The workloads `featurelake generate` can produce, by name. To add one (e.g.
 * app-logs), write a generator implementing `Workload` and list it here.
 */
import { clickstream } from './clickstream.js';
import type { Workload } from './workload.js';

export const workloads: Readonly<Record<string, Workload>> = { clickstream };

export type { Workload, WorkloadEvent, WorkloadOptions } from './workload.js';
