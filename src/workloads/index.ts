/**
 * The workloads `featurelake generate` can produce, by name. To add one (e.g.
 * another), write a generator implementing `Workload` and list it here.
 */
import { appLogs } from './app-logs.js';
import { clickstream } from './clickstream.js';
import { music } from './music.js';
import { tiering } from './tiering.js';
import type { Workload } from './workload.js';

export const workloads: Readonly<Record<string, Workload>> = { clickstream, 'app-logs': appLogs, tiering, music };

export type { Workload, WorkloadEvent, WorkloadOptions } from './workload.js';
