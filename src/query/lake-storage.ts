/**
 * Where the lake's files are, for the local query engine and the rollup:
 * reads go through a directory that mirrors the bucket's keys; writes and
 * deletes go through the S3 API when the lake is a bucket (the emulator's or
 * AWS's), so S3 stays the one writer of S3.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deleteKeys, objectsUnder } from '../aws/s3-objects.js';

export interface LakeStorage {
  /** A directory whose paths are the bucket's keys (plus `suffix`); empty when the lake has no local files. */
  readonly root: string;
  /** Suffix of each object's file: '' for a plain folder, '._S3rver_object' for the S3 emulator's. */
  readonly suffix: string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** Deletes every object under the prefix; resolves to how many. */
  deletePrefix(prefix: string): Promise<number>;
}

/** A plain folder as the lake (tests, exports, `--lake-dir`). */
export function directoryStorage(root: string): LakeStorage {
  return {
    root,
    suffix: '',
    async put(key, body) {
      const file = path.join(root, key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
    },
    async deletePrefix(prefix) {
      const dir = path.join(root, prefix);
      let count = 0;
      const walk = (d: string) => {
        for (const e of safeReaddir(d)) {
          const full = path.join(d, e);
          if (statSync(full).isDirectory()) walk(full);
          else count++;
        }
      };
      walk(dir);
      rmSync(dir, { recursive: true, force: true });
      return count;
    },
  };
}

/** A bucket as the lake: S3 API for changes; `root`/`suffix` locate its files when they are local (the emulator's). */
export function s3Storage(options: { s3: S3Client; bucket: string; root?: string; suffix?: string }): LakeStorage {
  const { s3, bucket } = options;
  return {
    root: options.root ?? '',
    suffix: options.suffix ?? '',
    async put(key, body) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' }),
      );
    },
    deletePrefix: (prefix) => deleteS3Prefix(s3, bucket, prefix),
  };
}

/** Deletes every object under a prefix; resolves to how many. */
export async function deleteS3Prefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys: string[] = [];
  for await (const object of objectsUnder(s3, bucket, prefix)) keys.push(object.Key as string);
  await deleteKeys(s3, bucket, keys);
  return keys.length;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
