/**
 * A seeded synthetic training set shaped like purchase_propensity's (the
 * user_clickstream columns, time columns and the purchase_within_1h label),
 * with a known signal: a latent "intent" drives a few features and the label,
 * the evening hours and a last add-to-cart raise it, the rest is noise. For
 * tests and `npm run bench -- models`, where the lake would only add time;
 * `shuffleLabels` keeps the features and breaks their tie to the label.
 */
import { purchasePropensity } from '../../features/catalog.js';
import { trainingColumns } from '../../query/training-set.js';
import { Random } from '../../workloads/random.js';
import { sigmoid } from '../score.js';
import type { TrainingTable } from './training-table.js';

export interface SyntheticOptions {
  readonly rows: number;
  readonly seed: number;
  /** Permute the labels over the rows (a seeded shuffle): no signal left. @default false */
  readonly shuffleLabels?: boolean;
}

const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase'] as const;
const CATEGORIES = ['books', 'toys', 'garden', 'electronics', 'fashion'] as const;

function normal(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

export function syntheticTrainingTable(options: SyntheticOptions): TrainingTable {
  const random = new Random(options.seed);
  const label = purchasePropensity.label.name;
  const features = trainingColumns(purchasePropensity.views).map((c) => c.as);
  // How strongly each numeric feature follows intent: the first few strongly, most not at all.
  const loadings = new Map(features.map((name, i) => [name, i % 7 === 0 ? 0.9 : i % 11 === 0 ? 0.4 : 0]));
  const rows: Record<string, unknown>[] = [];
  const start = Date.UTC(2025, 2, 3);
  for (let r = 0; r < options.rows; r++) {
    const intent = normal(random);
    const time = start + random.int(14 * 86_400) * 1000;
    const date = new Date(time);
    const hour = date.getUTCHours();
    const dayOfWeek = ((date.getUTCDay() + 6) % 7) + 1;
    const lastType = EVENT_TYPES[Math.min(3, Math.max(0, Math.floor(1.2 + 0.8 * intent + random.next())))] as string;
    const logit = -1.6 + 1.4 * intent + (hour >= 18 && hour <= 22 ? 0.8 : 0) + (lastType === 'add_to_cart' ? 0.7 : 0);
    const row: Record<string, unknown> = {
      user_id: `user_${String(random.int(5_000)).padStart(6, '0')}`,
      event_timestamp: date,
      [label]: random.chance(sigmoid(logit)) ? 1 : 0,
      hour_of_day: hour,
      day_of_week: dayOfWeek,
      is_weekend: dayOfWeek >= 6 ? 1 : 0,
    };
    for (const name of features) {
      if (name.startsWith('last_event_type')) row[name] = lastType;
      else if (name.startsWith('first_event_type')) row[name] = random.pick(EVENT_TYPES);
      else if (name.startsWith('last_category')) row[name] = random.chance(0.1) ? null : random.pick(CATEGORIES);
      else if (name.startsWith('last_products_viewed')) row[name] = [`p${random.int(100)}`];
      else if (random.chance(0.03)) row[name] = null;
      else row[name] = Math.round(100 * ((loadings.get(name) as number) * intent + normal(random))) / 100;
    }
    rows.push(row);
  }
  if (options.shuffleLabels) {
    const labels = rows.map((row) => row[label]);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [labels[i], labels[j]] = [labels[j], labels[i]];
    }
    rows.forEach((row, i) => {
      row[label] = labels[i];
    });
  }
  const columns = ['user_id', 'event_timestamp', label, 'hour_of_day', 'day_of_week', 'is_weekend', ...features];
  return {
    columns,
    rows,
    origin: `synthetic(rows=${options.rows}, seed=${options.seed}${options.shuffleLabels ? ', shuffled' : ''})`,
  };
}
