/**
 * Listing and deleting objects, written once: listing pages through the SDK's
 * own paginator; deleting batches keys 1,000 a request (S3's limit) and fails
 * naming every key S3 refused (DeleteObjects reports those in a 200 answer).
 */
import {
  type _Object,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Every object under a prefix. */
export async function* objectsUnder(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<_Object> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    yield* page.Contents ?? [];
  }
}

/** The "folders" one level below a prefix (`<prefix>x/`), as S3 groups keys by '/'. */
export async function childPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
  }
  return out;
}

/**
 * Whether an object exists, asked as a listing of its own key rather than a
 * HeadObject. On AWS a HeadObject of a missing key answers 404 only to a caller
 * whose s3:ListBucket applies to that request; a grant scoped by `s3:prefix`
 * never does (HeadObject carries no prefix), so the answer is 403. A
 * ListObjectsV2 with `Prefix = key` carries `s3:prefix = key` and so is allowed
 * by the same scoped grant. The key, if present, sorts first among the keys it
 * prefixes, so one key is enough.
 */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return page.Contents?.[0]?.Key === key;
}

/** Deletes the keys; throws naming each key S3 could not delete. */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    if (result.Errors?.length) throw new Error(`deleting: ${result.Errors.map((e) => `${e.Key}: ${e.Message}`).join('; ')}`);
  }
}
