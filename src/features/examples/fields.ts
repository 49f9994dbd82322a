/**
 * Field schemas the example catalogs share. The same definitions as
 * `eventTime` and the id schema of ../catalog.ts: the examples cannot import
 * them from there (catalog.ts imports the examples, and an import cycle would
 * leave them undefined while this module loads).
 */
import * as z from 'zod';

/** Event time: an ISO-8601 timestamp with a zone, or epoch milliseconds (the string first: see ../catalog.ts). */
export const eventTime = z.union([z.iso.datetime({ offset: true }), z.number().int().min(0).max(8_640_000_000_000)]);

/** An identifier: 1–128 characters. */
export const id = z.string().min(1).max(128);
