/**
 * IAM as the synthesized template grants it: each function's role policies with
 * the template's intrinsics resolved to concrete names and ARNs, and an
 * evaluator of one request (action, resource, request context) against them —
 * Allow/Deny, Action/NotAction and Resource wildcards (`*`, `?`), and the
 * condition operators the stack uses. What IAM would answer, written apart from
 * the constructs that produce the policies, so a grant that is too narrow (or a
 * condition the request does not carry) shows up here before it does on AWS.
 */

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** One request as IAM evaluates it: `context` holds the condition keys it carries (e.g. `s3:prefix`). */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'allowed' | 'implicitDeny' | 'explicitDeny';

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());

/** IAM's wildcard match: `*` any run of characters, `?` one; case-sensitive unless told otherwise. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'is' : 's',
  );
  return regex.test(value);
}

function conditionHolds(operator: string, key: string, expected: string[], context: Readonly<Record<string, string>>): boolean {
  // Set operators over a key this evaluator sees one value of (dynamodb:LeadingKeys of a single-item call):
  // IAM's ForAllValues holds for an absent key (the pitfall it is known for), ForAnyValue does not.
  const set = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
  if (set) {
    if (context[key] === undefined) return set[1] === 'ForAllValues';
    return conditionHolds(set[2] as string, key, expected, context);
  }
  const ifExists = operator.endsWith('IfExists');
  const op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const actual = context[key];
  if (op === 'Null') return expected.some((e) => (e === 'true') === (actual === undefined));
  if (actual === undefined) return ifExists;
  switch (op) {
    case 'StringEquals':
    case 'ArnEquals':
      return expected.includes(actual);
    case 'StringNotEquals':
      return !expected.includes(actual);
    case 'StringEqualsIgnoreCase':
      return expected.some((e) => e.toLowerCase() === actual.toLowerCase());
    case 'StringLike':
    case 'ArnLike':
      return expected.some((e) => wildcardMatch(e, actual));
    case 'StringNotLike':
      return !expected.some((e) => wildcardMatch(e, actual));
    case 'Bool':
      return expected.includes(actual);
    default:
      // An operator this evaluator does not know never grants: it would rather report a false denial.
      return false;
  }
}

function statementApplies(s: Statement, request: IamRequest): boolean {
  const actionMatches = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  if (s.Action !== undefined ? !actionMatches(list(s.Action)) : actionMatches(list(s.NotAction))) return false;
  const resourceMatches = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.resource));
  if (s.Resource !== undefined ? !resourceMatches(list(s.Resource)) : resourceMatches(list(s.NotResource))) return false;
  const context = request.context ?? {};
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, list(expected), context)),
  );
}

/** IAM's answer for one identity policy set: an explicit Deny wins, else any Allow, else denied. */
export function evaluate(statements: readonly Statement[], request: IamRequest): Decision {
  const applying = statements.filter((s) => statementApplies(s, request));
  if (applying.some((s) => s.Effect === 'Deny')) return 'explicitDeny';
  return applying.some((s) => s.Effect === 'Allow') ? 'allowed' : 'implicitDeny';
}

/**
 * Resolves a template value to a string: Ref and Fn::GetAtt of the stack's resources (to the
 * names the caller gives them), pseudo parameters, Fn::Join, Fn::Select and Fn::Split.
 */
export function templateResolver(resources: Resources, names: ReadonlyMap<string, string>) {
  const nameOf = (id: string): string => {
    const name = names.get(id);
    if (name === undefined) throw new Error(`no name for ${id} (${resources[id]?.Type ?? 'not in the template'})`);
    return name;
  };
  const arnOf = (id: string): string => {
    const type = resources[id]?.Type;
    const name = nameOf(id);
    switch (type) {
      case 'AWS::S3::Bucket':
        return `arn:${PARTITION}:s3:::${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::Kinesis::Stream':
        return `arn:${PARTITION}:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::SNS::Topic':
        return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::Lambda::Function':
        return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::KMS::Key':
        return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${name}`;
      default:
        throw new Error(`no ARN form for ${id} (${type})`);
    }
  };
  const resolve = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const obj = value as Record<string, any>;
    if (typeof obj?.Ref === 'string') {
      const pseudo: Record<string, string> = {
        'AWS::Partition': PARTITION,
        'AWS::Region': REGION,
        'AWS::AccountId': ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      return pseudo[obj.Ref] ?? nameOf(obj.Ref);
    }
    if (Array.isArray(obj?.['Fn::GetAtt'])) {
      const [id, attribute] = obj['Fn::GetAtt'] as [string, string];
      if (attribute === 'Arn') return arnOf(id);
      throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute}`);
    }
    if (Array.isArray(obj?.['Fn::Join'])) {
      const [separator, parts] = obj['Fn::Join'] as [string, Json[]];
      return parts.map(resolve).join(separator);
    }
    if (Array.isArray(obj?.['Fn::Split'])) return JSON.stringify(splitOf(obj));
    if (Array.isArray(obj?.['Fn::Select'])) {
      const [index, from] = obj['Fn::Select'] as [number, Json];
      const items = Array.isArray(from) ? from.map(resolve) : (splitOf(from as Record<string, any>) as string[]);
      return items[Number(index)] ?? '';
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  const splitOf = (obj: Record<string, any>): string[] => {
    const [separator, source] = obj['Fn::Split'] as [string, Json];
    return resolve(source).split(separator);
  };
  return { resolve, arnOf };
}

/** A statement's values resolved: Action, Resource, Condition values become plain strings. */
function resolveStatement(s: Record<string, any>, resolve: (v: Json) => string): Statement {
  const strings = (v: Json) => (Array.isArray(v) ? v.map(resolve) : resolve(v));
  return {
    Effect: s.Effect,
    ...(s.Action !== undefined ? { Action: strings(s.Action) } : {}),
    ...(s.NotAction !== undefined ? { NotAction: strings(s.NotAction) } : {}),
    ...(s.Resource !== undefined ? { Resource: strings(s.Resource) } : {}),
    ...(s.NotResource !== undefined ? { NotResource: strings(s.NotResource) } : {}),
    ...(s.Condition
      ? {
          Condition: Object.fromEntries(
            Object.entries(s.Condition as Record<string, Record<string, Json>>).map(([op, keys]) => [
              op,
              Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, strings(v)])),
            ]),
          ),
        }
      : {}),
  };
}

/** Every statement of a role's inline policies and of the AWS::IAM::Policy resources attached to it. */
export function rolePolicyStatements(
  template: { Resources: Resources },
  roleLogicalId: string,
  resolve: (v: Json) => string,
): Statement[] {
  const resources = template.Resources;
  const role = resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  if (list(role.Properties?.ManagedPolicyArns).length > 0) {
    throw new Error(`${roleLogicalId} has managed policies, which this evaluator cannot read`);
  }
  const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: any[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(resources)
    .filter(
      (r) =>
        (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
        ((r.Properties?.Roles ?? []) as Json[]).some((ref) => (ref as { Ref?: string }).Ref === roleLogicalId),
    )
    .flatMap((r) => r.Properties?.PolicyDocument.Statement as any[]);
  return [...inline, ...attached].map((s) => resolveStatement(s, resolve));
}

/** The logical id of a function's execution role (its `Role: {Fn::GetAtt: [role, Arn]}`). */
export function roleOfFunction(template: { Resources: Resources }, functionLogicalId: string): string {
  const role = template.Resources[functionLogicalId]?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const id = role?.['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`${functionLogicalId} has no role in this template`);
  return id;
}
