/**
 * cdk-nag AwsSolutions for every environment: synthesis with the checks the
 * app registers succeeds, and no finding (error or warning) is left
 * unacknowledged. Each acknowledgment is listed here with the environments it
 * applies to, so adding one is a visible decision; each must carry a reason.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { exampleCatalog } from '../../src/features/catalog.js';

function acknowledgments(app: ReturnType<typeof createApp>['app']) {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path.split('/').slice(1).join('/'), id: id.replace(/^annotation::/i, ''), reason })),
  );
}

describe.each(ENVIRONMENT_NAMES)('cdk-nag AwsSolutions (%s)', (env) => {
  it('leaves no finding unacknowledged, and acknowledges only the expected ones, with reasons', () => {
    const { app } = createApp({ envName: env, bundle: false });
    // Throws with the full report if the registered AwsSolutions plugin finds anything.
    app.synth();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);

    const acks = acknowledgments(app);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThan(40);
    const expected = [
      'Quarantine/AccessLogBucket AwsSolutions-S1',
      'Aggregator/FunctionRole AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/invalid/*]',
      'Aggregator/FunctionRole AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/aws/lambda/*]',
      'LakeWriter/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/*]',
      'LakeWriter/FunctionRole AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/invalid/*]',
      'LakeWriter/FunctionRole AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/aws/lambda/*]',
      'Rollup/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/*]',
      'Rollup/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/rollups/*]',
      'Rollup/FunctionRole AwsSolutions-IAM5[Resource::<QueriesResultsBucket8F47C7A8.Arn>/results/*]',
      'Compaction/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/*]',
      'Compaction/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/_compaction/*]',
      // The scheduled functions' dead-letter queues (SSE-SQS, TLS-only): no queue of their own behind them.
      'Rollup/Failures AwsSolutions-SQS3',
      'Compaction/Failures AwsSolutions-SQS3',
      // The daily data-quality report: Athena reads the lake and writes results as the schedule's role.
      'DataQuality/Failures AwsSolutions-SQS3',
      'DataQuality/Role AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/*]',
      'DataQuality/Role AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/rollups/*]',
      'DataQuality/Role AwsSolutions-IAM5[Resource::<QueriesResultsBucket8F47C7A8.Arn>/results/*]',
      // The drift job: Athena reads the lake as it; it writes the drift table's files and reads the models.
      'Drift/Failures AwsSolutions-SQS3',
      'Drift/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/*]',
      'Drift/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/rollups/*]',
      'Drift/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/rollups/drift/*]',
      'Drift/FunctionRole AwsSolutions-IAM5[Resource::<QueriesResultsBucket8F47C7A8.Arn>/results/*]',
      'Drift/FunctionRole AwsSolutions-IAM5[Resource::<ModelsBucket970C6ADA.Arn>/models/*]',
      // Uploads to sources/ read; one lake table prefix per batch source written; bad rows reported.
      'BatchIngest/Failures AwsSolutions-SQS3',
      'BatchIngest/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/sources/*]',
      ...(exampleCatalog.batchSources ?? []).map(
        (b) => `BatchIngest/FunctionRole AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/events/${b.name}/*]`,
      ),
      'BatchIngest/FunctionRole AwsSolutions-IAM5[Resource::<QuarantineBucket2B128B57.Arn>/invalid/*]',
      'FeatureApi/Api/CloudWatchRole AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'FeatureApi/Api/DeploymentStage.v1 AwsSolutions-APIG3',
      'FeatureApi/Api/Default/features/{entityType}/{entityId}/GET AwsSolutions-COG4',
      'FeatureApi/Api/Default/features/{entityType}/POST AwsSolutions-COG4',
      'FeatureApi/Api/Default/predict/POST AwsSolutions-COG4',
      'FeatureApi/Api/Default/health/GET AwsSolutions-COG4',
      // Artifacts and aliases read under models/.
      'Models/FunctionRole AwsSolutions-IAM5[Resource::<ModelsBucket970C6ADA.Arn>/models/*]',
      // API key + usage plan only outside the environments that also require IAM.
      ...(ENVIRONMENTS[env].api.auth === 'iam'
        ? []
        : [
            'FeatureApi/Api/Default/features/{entityType}/{entityId}/GET AwsSolutions-APIG4',
            'FeatureApi/Api/Default/features/{entityType}/POST AwsSolutions-APIG4',
            'FeatureApi/Api/Default/predict/POST AwsSolutions-APIG4',
            'FeatureApi/Api/Default/health/GET AwsSolutions-APIG4',
          ]),
    ];
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual(expected.sort());
  });
});
