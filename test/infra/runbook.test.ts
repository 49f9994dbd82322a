/**
 * The runbook and the alarms hold each other: every alarm of every environment
 * links an entry of docs/operations.md that says what it means, what to check
 * first, what to do and how it clears; every entry of "Alarms and runbook"
 * belongs to an alarm; and the thresholds table there is the config's.
 * Expected thresholds are read from lib/config/environments.ts, the alarm ids
 * from the synthesized templates (their names and descriptions).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AlarmSettings, ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { generatedBlock, normalizeMarkdown } from '../support/markdown.js';

const DOC_PATH = 'docs/operations.md';
const doc = readFileSync(path.resolve(import.meta.dirname, '../..', DOC_PATH), 'utf8');
const PARTS = ['What it means', 'First checks', 'What to do', 'How it clears'] as const;

/** Every `### <id>` entry of the document (whatever its section), with its text up to the next heading. */
function entries(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/^### ([a-z0-9-]+)\n([\s\S]*?)(?=^#{1,3} |(?![\s\S]))/gm)) {
    found.set(m[1] as string, m[2] as string);
  }
  return found;
}

/** The text of a `## <title>` section. */
function section(markdown: string, title: string): string {
  const m = new RegExp(`^## ${title}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(markdown);
  return m?.[1] ?? '';
}

interface SynthAlarm {
  readonly name: string;
  readonly description: string;
}
const alarmsOf = new Map<EnvironmentName, SynthAlarm[]>();
beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    const t = Template.fromStack(createApp({ envName: env, bundle: false, checks: false }).stack);
    alarmsOf.set(
      env,
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => ({
        name: String(a.Properties.AlarmName),
        description: String(a.Properties.AlarmDescription),
      })),
    );
  }
});

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  it('gives every alarm a runbook entry with its four parts, linked from its description', () => {
    const all = entries(doc);
    for (const alarm of alarmsOf.get(env) ?? []) {
      const id = alarm.name.replace(`featurelake-${env}-`, '');
      expect(alarm.name, 'alarm named featurelake-<env>-<runbook id>').toBe(`featurelake-${env}-${id}`);
      expect(alarm.description).toContain(`${DOC_PATH}#${id}`);
      const entry = all.get(id);
      expect(entry, `docs/operations.md has no "### ${id}"`).toBeDefined();
      for (const part of PARTS) expect(entry, `${id}: ${part}`).toMatch(new RegExp(`\\*\\*${part}:\\*\\* \\S`));
    }
  });
});

it('has no runbook entry without an alarm', () => {
  const ids = new Set(
    ENVIRONMENT_NAMES.flatMap((env) => (alarmsOf.get(env) ?? []).map((a) => a.name.replace(`featurelake-${env}-`, ''))),
  );
  const documented = [...entries(section(doc, 'Alarms and runbook')).keys()];
  expect(documented.length).toBeGreaterThan(0);
  expect(documented.filter((id) => !ids.has(id))).toEqual([]);
});

const n = (v: number) => v.toLocaleString('en-US');
const ROWS: [string, (a: AlarmSettings) => number][] = [
  ['iterator age ≥ (ms)', (a) => a.iteratorAgeMs],
  ['quarantined records / 5 min ≥', (a) => a.quarantinedPer5Min],
  ['errors per function / 5 min ≥', (a) => a.functionErrorsPer5Min],
  ['API 5xx / 5 min ≥', (a) => a.api5xxPer5Min],
  ['API 4xx, % of ≥ 100 requests / 5 min ≥', (a) => a.api4xxPercent],
  ['predict p99 latency ≥ (ms)', (a) => a.predictLatencyP99Ms],
  ['prediction log failures / 5 min ≥', (a) => a.predictionLogFailuresPer5Min],
  ['model versions refused / 5 min ≥', (a) => a.modelVersionsRefusedPer5Min],
  ['online freshness ≥ (ms)', (a) => a.onlineFreshnessMs],
];

it('shows the thresholds of lib/config/environments.ts', () => {
  const table = [
    `| alarm | ${ENVIRONMENT_NAMES.join(' | ')} |`,
    ...ROWS.map(([label, get]) => `| ${label} | ${ENVIRONMENT_NAMES.map((e) => n(get(ENVIRONMENTS[e].alarms))).join(' | ')} |`),
  ].join('\n');
  const block = generatedBlock(doc, 'alarm-thresholds');
  expect(block === undefined ? undefined : normalizeMarkdown(block), `paste into ${DOC_PATH}:\n${table}`).toBe(table);
});

it('is never laxer in prod than in dev, and stricter where a count can be', () => {
  const { dev, prod } = { dev: ENVIRONMENTS.dev.alarms, prod: ENVIRONMENTS.prod.alarms };
  for (const [label, get] of ROWS) expect(get(prod), label).toBeLessThanOrEqual(get(dev));
  const stricter = ROWS.filter(([, get]) => get(prod) < get(dev)).map(([label]) => label);
  // A refused model version is one too many everywhere.
  expect(stricter).toEqual(ROWS.map(([label]) => label).filter((l) => l !== 'model versions refused / 5 min ≥'));
});
