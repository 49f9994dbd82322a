/**
 * `<state-dir>/local-stack.json`: where a running local stack says its
 * emulators, resources and API are, for the CLI and any AWS client. Written by
 * src/local/stack.ts, read (and validated: another process writes it) by
 * src/cli/local-stack-info.ts.
 */
import path from 'node:path';
import * as z from 'zod';

const url = z.url();

export const localStackInfoSchema = z.object({
  env: z.string(),
  region: z.string(),
  endpoints: z.object({ kinesis: url, dynamodb: url, s3: url }),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  resources: z.object({
    streamName: z.string(),
    tableName: z.string(),
    quarantineBucket: z.string(),
    lakeBucket: z.string(),
    /** Model artifacts and aliases (src/models/registry.ts); absent when the stack has no predict function. */
    modelsBucket: z.string().optional(),
  }),
  /**
   * The emulator's files: object `<key>` of bucket `<b>` is the file
   * `<s3Directory>/<b>/<key><s3ObjectSuffix>` (s3rver's layout). The local query
   * engine reads the lake from here, with the same Hive paths as S3.
   */
  s3Directory: z.string(),
  s3ObjectSuffix: z.string(),
  api: z.object({ url, key: z.string() }),
  /** How the lake writer runs here (the environment's settings, or a --lake-window override): when its rows can be expected. */
  lake: z.object({ timePartitioning: z.enum(['date', 'hour']), batchingWindowSeconds: z.number().nonnegative() }).optional(),
  pid: z.number().int(),
  startedAt: z.string(),
});

export type LocalStackInfo = z.infer<typeof localStackInfoSchema>;

export const LOCAL_STACK_FILE = 'local-stack.json';

export function localStackInfoPath(stateDir: string): string {
  return path.resolve(stateDir, LOCAL_STACK_FILE);
}
