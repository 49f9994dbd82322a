/**
 * cfn-lint (the CloudFormation linter, installed on these machines as `cfn-lint`) on every
 * environment's synthesized template: zero errors, and only the warnings listed here, each with
 * the reason it is acceptable. Templates are synthesized without bundling: bundling changes only
 * the asset hashes in the functions' S3 keys, which cfn-lint does not read.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES } from '../../lib/config/environments.js';
import { synthTemplate } from '../../lib/featurelake-app.js';

const run = promisify(execFile);

interface Finding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: (string | number)[] };
}

/** Warnings accepted, by rule and the resource path they may appear on. */
const ACCEPTED_WARNINGS: readonly { rule: string; path: RegExp; why: string }[] = [
  {
    rule: 'W3005',
    path: /^Resources\/(\w+Function[0-9A-F]{8}|CustomS3AutoDeleteObjectsCustomResourceProviderHandler[0-9A-F]{8})\/DependsOn\//,
    why: 'aws-cdk-lib makes each function depend on its role and role policy; the role dependency is also implied by GetAtt (harmless, not ours to change)',
  },
  {
    rule: 'W3005',
    path: /^Resources\/QueriesQuery\w+\/DependsOn\//,
    why: 'QueryWorkgroup adds an explicit dependency of each named query on the workgroup it also Refs (redundant, harmless)',
  },
];

/** Runs cfn-lint on files; fails clearly when cfn-lint is not installed. Exit codes 2/4/8 mean findings, not failure. */
async function cfnLint(files: string[]): Promise<Finding[]> {
  try {
    const { stdout } = await run('cfn-lint', ['--format', 'json', ...files], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout || '[]') as Finding[];
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
    if (e.code === 'ENOENT') {
      throw new Error('cfn-lint is not installed (expected on PATH as `cfn-lint`, 1.x); this test cannot pass without it');
    }
    if (typeof e.code === 'number' && e.stdout && [2, 4, 6, 8, 10, 12, 14].includes(e.code)) {
      return JSON.parse(e.stdout) as Finding[];
    }
    throw new Error(`cfn-lint failed (${String(e.code)}): ${e.stderr ?? e.message}`);
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-cfn-lint-'));
const findings = new Map<string, Finding[]>();

beforeAll(async () => {
  const files = ENVIRONMENT_NAMES.map((env) => {
    const file = path.join(dir, `featurelake-${env}.template.json`);
    writeFileSync(file, JSON.stringify(synthTemplate(env)));
    return file;
  });
  // One cfn-lint process for the three templates: its start-up dominates.
  const all = await cfnLint(files);
  for (const env of ENVIRONMENT_NAMES)
    findings.set(
      env,
      all.filter((f) => path.basename(f.Filename) === `featurelake-${env}.template.json`),
    );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const describeFinding = (f: Finding) => `${f.Level} ${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`;

describe.each(ENVIRONMENT_NAMES)('cfn-lint (%s)', (env) => {
  it('finds no errors', () => {
    expect((findings.get(env) ?? []).filter((f) => f.Level === 'Error').map(describeFinding)).toEqual([]);
  });

  it('finds only the warnings acknowledged here', () => {
    const unexpected = (findings.get(env) ?? [])
      .filter((f) => f.Level !== 'Error')
      .filter((f) => !ACCEPTED_WARNINGS.some((w) => w.rule === f.Rule.Id && w.path.test(f.Location.Path.join('/'))));
    expect(unexpected.map(describeFinding)).toEqual([]);
  });
});

it('reports a broken template as an error (the check can fail)', async () => {
  const file = path.join(dir, 'broken.template.json');
  writeFileSync(
    file,
    JSON.stringify({
      Resources: {
        // Not a valid storage class, and a required property missing.
        Bucket: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            LifecycleConfiguration: {
              Rules: [{ Status: 'Enabled', Transitions: [{ StorageClass: 'COLD', TransitionInDays: 1 }] }],
            },
          },
        },
        Queue: { Type: 'AWS::SQS::QueuePolicy', Properties: {} },
      },
    }),
  );
  const errors = (await cfnLint([file])).filter((f) => f.Level === 'Error');
  expect(errors.map((f) => f.Rule.Id)).toEqual(expect.arrayContaining(['E3030', 'E3003']));
}, 60_000);
