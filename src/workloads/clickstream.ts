/**
 * Synthetic clickstream, the equivalent of seed 002's stream generator: shop
 * users in sessions that walk the funnel page_view → click → add_to_cart →
 * purchase, with products, categories, prices and devices.
 *
 * Model: a fixed number of sessions are open at once; each event advances a
 * random open session by one step of the funnel; a session that ends is
 * replaced by a new one for a (skewed) random user. Event times advance by
 * 1000 / rate ms per event. A few percent of events are delivered late: held
 * back for a few positions and emitted with their original event time, so the
 * stream is out of order the way mobile clients make it (causality within a
 * session holds in event time, not in arrival order).
 *
 * Everything derives from the seed, so the same options give the same events.
 */
import { hash32, Random } from './random.js';
import { DEVICES, type Device, Shop, userId } from './shop.js';
import type { Workload, WorkloadOptions } from './workload.js';

export type ClickstreamEventType = 'page_view' | 'click' | 'add_to_cart' | 'purchase';

export interface ClickstreamRecord {
  readonly source: 'clickstream';
  readonly event_id: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly event_type: ClickstreamEventType;
  readonly product_id?: string;
  readonly category: string;
  readonly price?: number;
  readonly device: Device;
  /** ISO-8601 UTC with milliseconds. */
  readonly event_time: string;
}

export interface ClickstreamOptions extends WorkloadOptions {
  /** Fraction of events delivered late (out of order). @default 0.03 */
  readonly outOfOrderFraction?: number;
}

export const DEFAULT_USERS = 1_000;
const DEFAULT_OUT_OF_ORDER = 0.03;
/** Share of page views that are category listings (no product, no price). */
const LISTING_SHARE = 0.1;
/** Late events are held back for up to this much event time… */
const MAX_DELAY_MS = 30_000;
/** …and at most this many positions, so the hold queue stays tiny. */
const MAX_DELAY_EVENTS = 200;

interface Session {
  readonly userId: string;
  readonly id: string;
  readonly device: Device;
  last: ClickstreamEventType | 'start';
  product: number;
  category: string;
}

type Step = ClickstreamEventType | 'end';

/**
 * Funnel transitions: what follows each event. Per page view this yields
 * ≈ 0.35 clicks, ≈ 0.09 add-to-carts and ≈ 0.03 purchases.
 */
const NEXT: Record<Session['last'], readonly (readonly [Step, number])[]> = {
  start: [['page_view', 1]],
  page_view: [
    ['click', 0.35],
    ['page_view', 0.53],
    ['end', 0.12],
  ],
  click: [
    ['add_to_cart', 0.25],
    ['page_view', 0.63],
    ['end', 0.12],
  ],
  add_to_cart: [
    ['purchase', 0.35],
    ['page_view', 0.5],
    ['end', 0.15],
  ],
  purchase: [
    ['page_view', 0.4],
    ['end', 0.6],
  ],
};

function nextStep(random: Random, last: Session['last']): Step {
  let r = random.next();
  const options = NEXT[last];
  for (const [step, p] of options) {
    r -= p;
    if (r < 0) return step;
  }
  return 'end';
}

export function* clickstreamEvents(options: ClickstreamOptions): Generator<ClickstreamRecord> {
  const { events, seed, startMs, ratePerSecond } = options;
  const users = options.entities ?? DEFAULT_USERS;
  const outOfOrder = options.outOfOrderFraction ?? DEFAULT_OUT_OF_ORDER;
  const random = new Random(seed);
  const shop = new Shop(seed);
  const intervalMs = 1000 / ratePerSecond;
  // Ids carry a run prefix so two runs with different starts never share an event_id.
  const run = hash32(seed, startMs, Math.round(ratePerSecond * 1000), users)
    .toString(16)
    .padStart(8, '0');
  const maxDelayEvents = Math.max(1, Math.min(MAX_DELAY_EVENTS, Math.floor(MAX_DELAY_MS / intervalMs)));

  let sessionCount = 0;
  const openSession = (): Session => {
    // 70 % of sessions from anyone, 30 % from a heavy-tailed few: some users are regulars.
    const r = random.next();
    const index = random.chance(0.3) ? Math.floor(r * r * users) : Math.floor(r * users);
    const primary = shop.primaryDevice(index);
    return {
      userId: userId(index),
      id: `sess-${run}-${(sessionCount++).toString(36)}`,
      device: random.chance(0.85) ? primary : random.pick(DEVICES),
      last: 'start',
      product: -1,
      category: '',
    };
  };
  const sessions = Array.from({ length: Math.max(1, Math.min(200, Math.ceil(users / 20))) }, openSession);

  const fresh = (generated: number): ClickstreamRecord => {
    const slot = random.int(sessions.length);
    let session = sessions[slot] as Session;
    let step = nextStep(random, session.last);
    if (step === 'end') {
      session = openSession();
      sessions[slot] = session;
      step = 'page_view';
    }
    let listing = false;
    if (step === 'page_view') {
      listing = random.chance(LISTING_SHARE);
      if (listing) {
        session.product = -1;
        session.category = random.pick(shop.categories);
      } else {
        session.product = shop.popularProduct(random);
      }
    } else if (step === 'click' && session.product < 0) {
      // A click on a listing page opens one of its products.
      session.product = shop.productIn(session.category, random);
    }
    session.last = step;
    const id = `${run}-${random.hex(16)}-4${random.hex(12)}-${(8 + random.int(4)).toString(16)}${random.hex(12)}-${generated.toString(16).padStart(12, '0')}`;
    const time = new Date(startMs + Math.floor(generated * intervalMs)).toISOString();
    if (listing) {
      return {
        source: 'clickstream',
        event_id: id,
        user_id: session.userId,
        session_id: session.id,
        event_type: step,
        category: session.category,
        device: session.device,
        event_time: time,
      };
    }
    const product = shop.products[session.product] as (typeof shop.products)[number];
    session.category = product.category;
    return {
      source: 'clickstream',
      event_id: id,
      user_id: session.userId,
      session_id: session.id,
      event_type: step,
      product_id: product.id,
      category: product.category,
      price: product.price,
      device: session.device,
      event_time: time,
    };
  };

  // Late events wait here, ordered by release position; a handful at a time.
  const held: { event: ClickstreamRecord; releaseAt: number }[] = [];
  let generated = 0;
  for (let emitted = 0; emitted < events; emitted++) {
    const due = held[0];
    if (due && (due.releaseAt <= generated || generated === events)) {
      held.shift();
      yield due.event;
      continue;
    }
    let event = fresh(generated++);
    while (generated < events && random.chance(outOfOrder)) {
      const releaseAt = generated + 1 + random.int(maxDelayEvents);
      const at = held.findIndex((h) => h.releaseAt > releaseAt);
      held.splice(at < 0 ? held.length : at, 0, { event, releaseAt });
      event = fresh(generated++);
    }
    yield event;
  }
}

/** `options.events` events in memory: for tests and benchmarks. */
export function generateClickstream(options: ClickstreamOptions): ClickstreamRecord[] {
  return [...clickstreamEvents(options)];
}

export const clickstream: Workload<ClickstreamRecord> = {
  name: 'clickstream',
  source: 'clickstream',
  description: 'Shop sessions walking the funnel page_view → click → add_to_cart → purchase (seed 002).',
  defaultEntities: DEFAULT_USERS,
  generate: clickstreamEvents,
};
