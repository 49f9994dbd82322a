/**
 * The daily data-quality report as deployed: a prepared statement holding the
 * report with its defaults, a daily schedule that EXECUTEs it through Athena's
 * API as a role that may read the lake and write results, once per scheduled
 * time, and a dead-letter queue behind it that raises an alarm.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../lib/featurelake-app.js';
import { DATA_QUALITY_QUERY } from '../../src/quality/report-sql.js';
import { renderSaved, resolveQuery } from '../../src/query/sql-library.js';

const { stack } = createApp({ envName: 'dev', bundle: false, checks: false });
const t = Template.fromStack(stack);
const idOf = (type: string, path: string) =>
  Object.entries(t.findResources(type)).find(([, r]) => String(r.Metadata?.['aws:cdk:path']).includes(path))?.[0] as string;

describe('the daily data-quality report (dev)', () => {
  it('keeps the report as a prepared statement and a named query, with its defaults (yesterday, UTC)', () => {
    const saved = renderSaved(resolveQuery(DATA_QUALITY_QUERY), { timePartitioning: stack.config.lake.timePartitioning });
    expect(saved).not.toMatch(/\{\{|\}\}/);
    expect(saved).toContain(`"event_time" >= CAST(CAST(current_date - INTERVAL '1' DAY AS DATE) AS TIMESTAMP)`);
    const workgroup = { Ref: idOf('AWS::Athena::WorkGroup', '/Queries/WorkGroup') };
    t.hasResourceProperties('AWS::Athena::PreparedStatement', {
      StatementName: DATA_QUALITY_QUERY,
      QueryStatement: saved,
      WorkGroup: workgroup,
    });
    t.hasResourceProperties('AWS::Athena::NamedQuery', { Name: DATA_QUALITY_QUERY, WorkGroup: workgroup });
  });

  it('EXECUTEs it every day at 03:00 UTC through StartQueryExecution, once per scheduled time, failures dead-lettered', () => {
    const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule'));
    const schedule = schedules.find((s) => String(s.Metadata?.['aws:cdk:path']).includes('/DataQuality/'));
    expect(schedule?.Properties.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    const target = schedule?.Properties.Target;
    expect(JSON.stringify(target.Arn)).toContain(':scheduler:::aws-sdk:athena:startQueryExecution');
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [idOf('AWS::IAM::Role', '/DataQuality/Role/'), 'Arn'] });
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [idOf('AWS::SQS::Queue', '/DataQuality/Failures/'), 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 6 * 3600, MaximumRetryAttempts: 3 });
    // The input is a JSON string with references joined in.
    const input = JSON.stringify(target.Input);
    expect(input).toContain(`EXECUTE ${DATA_QUALITY_QUERY}`);
    expect(input).toContain(`${DATA_QUALITY_QUERY}-<aws.scheduler.scheduled-time>`);
    expect(input).toContain('QueryExecutionContext');
  });

  it("lets the schedule's role start the query, read the prepared statement and the lake's events, and write results", () => {
    const role = idOf('AWS::IAM::Role', '/DataQuality/Role/');
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })]),
      }),
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r).includes(role)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    for (const action of [
      'athena:StartQueryExecution',
      'athena:GetPreparedStatement',
      's3:GetObject',
      's3:PutObject',
      'glue:GetTable',
    ]) {
      expect(actions, action).toContain(action);
    }
    const lakeReads = statements.filter((s) => [s.Action].flat().includes('s3:GetObject')).map((s) => JSON.stringify(s.Resource));
    expect(lakeReads.some((r) => r.includes('LakeBucket') && r.includes('/events/*'))).toBe(true);
  });

  it('alarms when a run is left in its dead-letter queue', () => {
    const queue = idOf('AWS::SQS::Queue', '/DataQuality/Failures/');
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
    });
  });
});
