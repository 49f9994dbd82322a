/**
 * The dense row-major matrix the training algorithms read: encoded inputs
 * (../encode.ts), one row per training row, with its 0/1 label and weight.
 */

export interface Matrix {
  /** Row r's cells at [r·cols, (r+1)·cols). */
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** What an algorithm fits: the matrix, 0/1 labels and per-row sample weights. */
export interface TrainingData {
  readonly x: Matrix;
  readonly y: Uint8Array;
  readonly weight: Float64Array;
}

/** Gives the event loop a turn, so progress bars and timers run between long synchronous steps. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
