/**
 * The drift Lambda's events: a scheduled run measures the closed hours before
 * its time; a manual one names its window (and model); anything else is refused.
 */
import { describe, expect, it } from 'vitest';
import { driftEvent, windowOf } from '../../lambdas/drift/handler.js';

describe('drift events', () => {
  it('a scheduled run at 04:30 measures the 24 closed hours before 04:00', () => {
    const event = driftEvent.parse({ 'detail-type': 'Scheduled Event', time: '2024-03-05T04:30:00Z', source: 'aws.events' });
    expect(windowOf(event, 24)).toEqual({
      fromMs: Date.parse('2024-03-04T04:00:00Z'),
      toMs: Date.parse('2024-03-05T04:00:00Z'),
    });
  });

  it('a manual run names its window and model', () => {
    const event = driftEvent.parse({ from: '2024-03-01T00:00:00Z', to: '2024-03-02T00:00:00Z', model: 'hot_object' });
    expect(windowOf(event, 24)).toEqual({ fromMs: Date.parse('2024-03-01T00:00:00Z'), toMs: Date.parse('2024-03-02T00:00:00Z') });
    expect(driftEvent.safeParse({ from: '2024-03-01', to: 'tomorrow' }).success).toBe(false);
    expect(driftEvent.safeParse({ hour: '2024-03-01T00:00:00Z' }).success).toBe(false);
  });
});
