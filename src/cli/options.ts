/**
 * Parsers for flag values. Commander turns an InvalidArgumentError into
 * "option '--events <n>' argument 'abc' is invalid. <reason>", which names
 * the flag; main.ts maps it to exit code 2.
 */
import { InvalidArgumentError } from 'commander';
import { parseIsoInstant } from '../domain/days.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('It must be a positive integer.');
  }
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('It must be an integer ≥ 0.');
  return n;
}

export function seed(value: string): number {
  const n = nonNegativeInteger(value);
  if (n > 0xffff_ffff) throw new InvalidArgumentError('It must be an integer from 0 to 4294967295.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('It must be a number > 0.');
  return n;
}

/** An ISO-8601 instant with a zone, as epoch ms: a zone-less time would depend on the machine's time zone. */
export function isoInstant(value: string): number {
  // Strict: Date.parse would shift an impossible date (2025-02-30) to another day.
  const ms = parseIsoInstant(value);
  if (ms === undefined) {
    throw new InvalidArgumentError('It must be an ISO-8601 date or time with a zone, e.g. 2025-01-31T12:00:00Z.');
  }
  return ms;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('It must be an http(s) URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('It must be an http(s) URL.');
  return value.replace(/\/+$/, '');
}

export function commaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError('It must be a comma-separated list of names.');
  return items;
}
