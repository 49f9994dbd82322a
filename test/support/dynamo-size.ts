/**
 * The size DynamoDB charges and limits an item by, from the rules AWS
 * documents ("Item sizes and formats"): attribute names count in UTF-8 bytes;
 * strings in UTF-8 bytes, binaries in bytes, numbers about one byte per two
 * significant digits plus one; lists and maps 3 bytes plus 1 per element,
 * plus their elements; null and booleans 1 byte.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + valueBytes(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberBytes(s), 0);
  throw new Error(`unsized attribute value ${JSON.stringify(value)}`);
}

export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);
}
