/** What every synthetic workload offers the CLI: a seeded, streaming event generator. */

export interface WorkloadOptions {
  /** Number of events to produce. */
  readonly events: number;
  /** PRNG seed: the same seed, start and options give byte-identical output. */
  readonly seed: number;
  /** Event time of the first event, epoch ms. */
  readonly startMs: number;
  /** Events per second of event time: consecutive events are 1000 / rate ms apart. */
  readonly ratePerSecond: number;
  /** Size of the entity pool (users, hosts…), for workloads that have one. */
  readonly entities?: number;
}

/** An event as it goes on the stream: `source` names its catalog source. */
export interface WorkloadEvent {
  readonly source: string;
}

export interface Workload<E extends WorkloadEvent = WorkloadEvent> {
  readonly name: string;
  /** Catalog source of every event it produces. */
  readonly source: string;
  readonly description: string;
  /** Default size of the entity pool. */
  readonly defaultEntities: number;
  /** Lazily yields `options.events` events: constant memory whatever the count. */
  generate(options: WorkloadOptions): Generator<E>;
}
