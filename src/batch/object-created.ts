/**
 * The uploads an invocation is about. The deployed function is invoked by an
 * EventBridge rule on the lake bucket's "Object Created" events (keys as
 * uploaded); an S3 event notification (`Records[].s3`, keys URL-encoded with
 * '+' for spaces) is accepted too, so the function also works wired that way.
 */
export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  /** When S3 created the object, epoch ms: the as-of time of a source without an as-of field. */
  readonly timeMs: number;
}

interface EventBridgeObjectCreated {
  readonly time: string;
  readonly detail: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string } };
}
interface S3Notification {
  readonly Records: readonly {
    readonly eventTime: string;
    readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string } };
  }[];
}

export type ObjectCreatedEvent = EventBridgeObjectCreated | S3Notification;

/** An event time as epoch ms; throws naming the field when it is missing or not a time. */
function eventTimeMs(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`not an S3 Object Created event: ${field} is not a time (${JSON.stringify(value)})`);
  return ms;
}

export function uploadedObjects(event: ObjectCreatedEvent): UploadedObject[] {
  if (typeof event !== 'object' || event === null)
    throw new Error(`not an S3 Object Created event: ${JSON.stringify(event) ?? String(event)}`);
  if ('Records' in event && Array.isArray(event.Records)) {
    return event.Records.map((r, i) => {
      const where = `Records[${i}]`;
      if (!r?.s3?.bucket?.name || typeof r.s3.object?.key !== 'string' || r.s3.object.key === '')
        throw new Error(`not an S3 Object Created event: ${where} has no s3.bucket.name / s3.object.key`);
      let key: string;
      try {
        key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
      } catch {
        throw new Error(`not an S3 Object Created event: ${where}.s3.object.key is not URL-encoded (${r.s3.object.key})`);
      }
      return { bucket: r.s3.bucket.name, key, timeMs: eventTimeMs(r.eventTime, `${where}.eventTime`) };
    });
  }
  const { detail, time } = event as EventBridgeObjectCreated;
  if (!detail?.bucket?.name || !detail.object?.key)
    throw new Error('not an S3 Object Created event (no detail.bucket / detail.object)');
  return [{ bucket: detail.bucket.name, key: detail.object.key, timeMs: eventTimeMs(time, 'time') }];
}

/** The EventBridge event S3 sends for an upload (what the local stack hands the handler). */
export function objectCreatedEvent(bucket: string, key: string, time: Date, size?: number): ObjectCreatedEvent {
  const event = {
    version: '0',
    id: `local-${bucket}-${key}-${time.getTime()}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '000000000000',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, ...(size === undefined ? {} : { size }) },
      reason: 'PutObject',
    },
  };
  return event;
}
