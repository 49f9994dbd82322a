/**
 * The saved queries as the template holds them: each one runs as saved (no
 * placeholder, every parameter at its default), prunes on the environment's
 * partitions, and matches the library's rendering; the query grant reads
 * partitions in batches.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { loadSqlLibrary } from '../../src/query/sql-library.js';

describe.each(ENVIRONMENT_NAMES)('saved queries (%s)', (envName) => {
  const { stack } = createApp({ envName, bundle: false, checks: false });
  const saved = Object.values(Template.fromStack(stack).findResources('AWS::Athena::NamedQuery')).map(
    (r) => r.Properties as { Name: string; QueryString: string },
  );

  const library = loadSqlLibrary().map((q) => q.name);
  const views = exampleCatalog.featureViews.map((v) => `${v.name}_features`);

  it("saves every library query and each view's offline features, with no placeholder left", () => {
    expect(saved.map((q) => q.Name).sort()).toEqual([...library, ...views].sort());
    for (const q of saved) expect(q.QueryString, q.Name).not.toMatch(/\{\{|\}\}/);
  });

  it("saves each view's features as of midnight, pruned relative to the day it runs", () => {
    for (const q of saved.filter((s) => views.includes(s.Name))) {
      expect(q.QueryString, q.Name).toContain('CAST(current_date AS TIMESTAMP)');
      expect(q.QueryString, q.Name).toMatch(/dt BETWEEN CAST\(CAST\(current_date - INTERVAL '\d+' DAY AS DATE\) AS VARCHAR\)/);
    }
  });

  it('ranges cover the last full UTC day, pruned on the partitions the environment writes', () => {
    const yesterday = "CAST(CAST(current_date - INTERVAL '1' DAY AS DATE) AS VARCHAR)";
    const hourly = ENVIRONMENTS[envName].lake.timePartitioning === 'hour';
    const expected = hourly
      ? `(dt BETWEEN ${yesterday} AND ${yesterday} AND (dt > ${yesterday} OR hr >= 0) AND (dt < ${yesterday} OR hr <= 23))`
      : `dt BETWEEN ${yesterday} AND ${yesterday}\n`;
    const ranged = saved.filter((q) => library.includes(q.Name) && q.Name !== 'rollup_clickstream_hourly');
    expect(ranged).toHaveLength(library.length - 1);
    for (const q of ranged) {
      expect(q.QueryString, q.Name).toContain(expected);
      expect(q.QueryString, q.Name).toContain(`>= CAST(CAST(current_date - INTERVAL '1' DAY AS DATE) AS TIMESTAMP)`);
      expect(q.QueryString, q.Name).toContain('< CAST(current_date AS TIMESTAMP)');
      expect(q.QueryString, q.Name).toMatch(/^-- Saved with its defaults/);
    }
  });
});

describe('QueryWorkgroup.grantQuery', () => {
  it('reads the catalog, partitions in batches included, and may stop its queries', () => {
    const { stack } = createApp({ envName: 'prod', bundle: false, checks: false });
    const role = new Role(stack, 'Caller', { assumedBy: new AccountRootPrincipal() });
    stack.queries.grantQuery(role);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }] },
    });
    const actions = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat()),
    );
    expect(actions.filter((a) => a.startsWith('glue:')).sort()).toEqual([
      'glue:BatchGetPartition',
      'glue:GetDatabase',
      'glue:GetPartition',
      'glue:GetPartitions',
      'glue:GetTable',
      'glue:GetTables',
    ]);
    expect(actions).toContain('athena:StopQueryExecution');
  });
});
