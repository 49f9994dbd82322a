/**
 * The simulated shop behind the clickstream workload: a product catalogue
 * with categories and prices, and per-user traits (preferred device). Built
 * from the seed, so two runs with the same seed see the same shop.
 */
import { hash32, Random } from './random.js';

export interface Product {
  readonly id: string;
  readonly category: string;
  readonly price: number;
}

/** Price ranges per category (min, max), so prices look like their category. */
const CATEGORIES: readonly (readonly [string, number, number])[] = [
  ['electronics', 15, 1500],
  ['books', 4, 60],
  ['clothing', 8, 220],
  ['home', 6, 450],
  ['beauty', 3, 120],
  ['sports', 8, 600],
  ['toys', 4, 150],
  ['garden', 5, 300],
  ['grocery', 1, 40],
  ['games', 10, 80],
];

export const PRODUCT_COUNT = 500;

export const DEVICES = ['mobile', 'desktop', 'tablet'] as const;
export type Device = (typeof DEVICES)[number];

export class Shop {
  readonly products: readonly Product[];
  readonly categories: readonly string[];
  private readonly byCategory: ReadonlyMap<string, readonly number[]>;

  constructor(private readonly seed: number) {
    const random = new Random(hash32(seed, 0x5109));
    this.products = Array.from({ length: PRODUCT_COUNT }, (_, i) => {
      const [category, min, max] = random.pick(CATEGORIES);
      // Log-uniform: most products are cheap, a few are expensive, as in real catalogues.
      const price = Math.round(min * (max / min) ** random.next() * 100) / 100;
      return { id: `prod_${String(i + 1).padStart(5, '0')}`, category, price };
    });
    this.categories = CATEGORIES.map(([name]) => name);
    const byCategory = new Map<string, number[]>(this.categories.map((c) => [c, []]));
    this.products.forEach((p, i) => {
      byCategory.get(p.category)?.push(i);
    });
    this.byCategory = byCategory;
  }

  /** A product, skewed towards the popular (low-index) ones like real traffic. */
  popularProduct(random: Random): number {
    const r = random.next();
    return Math.floor(r * r * this.products.length);
  }

  /** A product of `category` (the one a shopper clicks on a listing page). */
  productIn(category: string, random: Random): number {
    const indexes = this.byCategory.get(category) ?? [];
    return indexes.length > 0 ? random.pick(indexes) : this.popularProduct(random);
  }

  /** The device a user mostly shops on: a fixed trait per user. */
  primaryDevice(userIndex: number): Device {
    const bucket = hash32(this.seed, userIndex) % 100;
    return bucket < 55 ? 'mobile' : bucket < 90 ? 'desktop' : 'tablet';
  }
}

/** User ids as in seed 002: user_000001, user_000002, … */
export function userId(index: number): string {
  return `user_${String(index + 1).padStart(6, '0')}`;
}
