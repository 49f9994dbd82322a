/**
 * Real-time pacing for `generate --send --rate R`: event i is due i / R
 * seconds after the start. Due times are absolute, so a slow send is caught
 * up afterwards instead of drifting the overall rate.
 */
export class Pacer {
  private readonly startedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  /** Milliseconds until event `index` is due (≤ 0: due already). */
  waitMs(index: number): number {
    return this.startedAt + (index * 1000) / this.ratePerSecond - this.now();
  }
}
