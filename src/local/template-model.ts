/**
 * Reads what the local stack must create and run from the synthesized
 * CloudFormation template, so local names and settings never come from a
 * second hand-written copy: streams, tables and buckets; each function's
 * environment (Refs resolved to local names); each Kinesis event source
 * mapping's settings; the API's routes, API-key requirement and usage plan.
 */
import { LOCAL_REGION } from './emulators.js';

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
export interface CloudFormationTemplate {
  readonly Resources: Record<string, Resource>;
}

export interface StreamModel {
  readonly logicalId: string;
  readonly name: string;
  /** Provisioned shards; ON_DEMAND streams get 4, as AWS starts them. */
  readonly shardCount: number;
}
export interface TableModel {
  readonly logicalId: string;
  readonly name: string;
  readonly keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly ttlAttribute?: string;
}
export interface FunctionModel {
  readonly logicalId: string;
  /** Folder under lambdas/ (the FEATURELAKE_FUNCTION variable). */
  readonly handlerName: string;
  readonly env: Record<string, string>;
}
export interface EventSourceMappingModel {
  readonly functionLogicalId: string;
  readonly streamLogicalId: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly bisectOnError: boolean;
  /** -1 = retry until the record expires, as in Lambda. */
  readonly retryAttempts: number;
  /** -1 = no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly onFailureBucket?: string;
}
export interface RouteModel {
  readonly method: string;
  /** API Gateway resource path, e.g. /features/{entityType}/{entityId}. */
  readonly resourcePath: string;
  readonly functionLogicalId: string;
  readonly apiKeyRequired: boolean;
  readonly authorization: string;
}
export interface ApiModel {
  readonly stageName: string;
  readonly routes: readonly RouteModel[];
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota?: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
}
export interface LocalStackModel {
  readonly streams: readonly StreamModel[];
  readonly tables: readonly TableModel[];
  readonly buckets: readonly { logicalId: string; name: string }[];
  readonly functions: readonly FunctionModel[];
  readonly eventSourceMappings: readonly EventSourceMappingModel[];
  readonly api?: ApiModel;
}

const ON_DEMAND_LOCAL_SHARDS = 4;

function ofType(template: CloudFormationTemplate, type: string): [string, Record<string, Json>][] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Logical ids an intrinsic refers to ({Ref}, {Fn::GetAtt}), searched recursively. */
function referencedIds(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    if (typeof obj.Ref === 'string') return [obj.Ref];
    if (Array.isArray(obj['Fn::GetAtt'])) return [String(obj['Fn::GetAtt'][0])];
    return Object.values(obj).flatMap(referencedIds);
  }
  return [];
}

export function readTemplate(template: CloudFormationTemplate, stackName: string): LocalStackModel {
  const localName = (logicalId: string) =>
    `${stackName}-${logicalId}`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 63);
  const streams = ofType(template, 'AWS::Kinesis::Stream').map(([logicalId, p]): StreamModel => {
    const mode = (p.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode;
    return {
      logicalId,
      name: localName(logicalId),
      shardCount: mode === 'ON_DEMAND' ? ON_DEMAND_LOCAL_SHARDS : Number(p.ShardCount ?? 1),
    };
  });
  const tables = ofType(template, 'AWS::DynamoDB::Table').map(([logicalId, p]): TableModel => {
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    return {
      logicalId,
      name: localName(logicalId),
      keySchema: p.KeySchema as TableModel['keySchema'],
      attributeDefinitions: p.AttributeDefinitions as TableModel['attributeDefinitions'],
      ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
    };
  });
  const buckets = ofType(template, 'AWS::S3::Bucket').map(([logicalId]) => ({ logicalId, name: localName(logicalId) }));
  const names = new Map<string, string>([...streams, ...tables, ...buckets].map((r) => [r.logicalId, r.name]));
  // Resources the local stack does not emulate but whose names functions carry (the rollup's Athena workgroup and Glue database).
  for (const [logicalId, p] of ofType(template, 'AWS::Athena::WorkGroup')) names.set(logicalId, String(p.Name));
  for (const [logicalId, p] of ofType(template, 'AWS::Glue::Database'))
    names.set(logicalId, String((p.DatabaseInput as { Name?: string } | undefined)?.Name ?? logicalId));

  const resolve = (value: Json, where: string): string => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    const obj = value as Record<string, Json>;
    if (typeof obj?.Ref === 'string') {
      if (obj.Ref === 'AWS::Region') return LOCAL_REGION;
      const name = names.get(obj.Ref);
      if (name) return name;
    }
    throw new Error(`${where}: the local stack cannot resolve ${JSON.stringify(value)}`);
  };

  const functions = ofType(template, 'AWS::Lambda::Function')
    .map(([logicalId, p]) => {
      const vars = ((p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}) as Record<string, Json>;
      return [logicalId, vars] as const;
    })
    .filter(([, vars]) => typeof vars.FEATURELAKE_FUNCTION === 'string')
    .map(
      ([logicalId, vars]): FunctionModel => ({
        logicalId,
        handlerName: vars.FEATURELAKE_FUNCTION as string,
        env: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(v, `${logicalId} env ${k}`)])),
      }),
    );

  const functionIds = new Set(functions.map((f) => f.logicalId));
  const streamIds = new Set(streams.map((s) => s.logicalId));
  const bucketIds = new Set(buckets.map((b) => b.logicalId));
  const eventSourceMappings = ofType(template, 'AWS::Lambda::EventSourceMapping').flatMap(
    ([logicalId, p]): EventSourceMappingModel[] => {
      const functionLogicalId = referencedIds(p.FunctionName).find((id) => functionIds.has(id));
      const streamLogicalId = referencedIds(p.EventSourceArn).find((id) => streamIds.has(id));
      if (!functionLogicalId || !streamLogicalId) return [];
      const onFailure = (p.DestinationConfig as { OnFailure?: { Destination?: Json } } | undefined)?.OnFailure?.Destination;
      const onFailureBucket = referencedIds(onFailure).find((id) => bucketIds.has(id));
      if (onFailure !== undefined && !onFailureBucket) {
        throw new Error(`${logicalId}: only an S3 bucket on-failure destination is emulated locally`);
      }
      return [
        {
          functionLogicalId,
          streamLogicalId,
          batchSize: Number(p.BatchSize ?? 100),
          maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
          startingPosition: (p.StartingPosition as 'TRIM_HORIZON' | 'LATEST') ?? 'LATEST',
          bisectOnError: p.BisectBatchOnFunctionError === true,
          retryAttempts: Number(p.MaximumRetryAttempts ?? -1),
          maxRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
          reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
          ...(onFailureBucket ? { onFailureBucket: names.get(onFailureBucket) as string } : {}),
        },
      ];
    },
  );

  return { streams, tables, buckets, functions, eventSourceMappings, ...readApi(template, functionIds) };
}

function readApi(template: CloudFormationTemplate, functionIds: Set<string>): { api?: ApiModel } {
  const resources = new Map(ofType(template, 'AWS::ApiGateway::Resource'));
  const pathOf = (resourceId: Json): string => {
    const [id] = referencedIds(resourceId);
    const resource = id ? resources.get(id) : undefined;
    if (!resource) return ''; // the API's root resource
    return `${pathOf(resource.ParentId)}/${resource.PathPart as string}`;
  };
  const routes = ofType(template, 'AWS::ApiGateway::Method').flatMap(([, p]): RouteModel[] => {
    const integration = p.Integration as { Uri?: Json } | undefined;
    const functionLogicalId = referencedIds(integration?.Uri).find((id) => functionIds.has(id));
    if (!functionLogicalId || p.HttpMethod === 'OPTIONS') return [];
    return [
      {
        method: String(p.HttpMethod),
        resourcePath: pathOf(p.ResourceId) || '/',
        functionLogicalId,
        apiKeyRequired: p.ApiKeyRequired === true,
        authorization: String(p.AuthorizationType ?? 'NONE'),
      },
    ];
  });
  if (routes.length === 0) return {};
  const stage = ofType(template, 'AWS::ApiGateway::Stage')[0]?.[1];
  const plan = ofType(template, 'AWS::ApiGateway::UsagePlan')[0]?.[1];
  const throttle = plan?.Throttle as { RateLimit: number; BurstLimit: number } | undefined;
  const quota = plan?.Quota as { Limit: number; Period: 'DAY' | 'WEEK' | 'MONTH' } | undefined;
  return {
    api: {
      stageName: String(stage?.StageName ?? 'prod'),
      routes,
      ...(throttle ? { throttle: { rateLimit: throttle.RateLimit, burstLimit: throttle.BurstLimit } } : {}),
      ...(quota ? { quota: { limit: quota.Limit, period: quota.Period } } : {}),
    },
  };
}
