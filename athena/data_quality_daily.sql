-- Data quality per source and expectation of the catalog over a range of event time (default: yesterday, UTC):
-- units checked and failed, the failure rate, and whether the expectation held. The offline twin of the
-- ExpectationChecked / ExpectationFailures metrics (docs/operations.md). Generated from the catalog by
-- src/quality/report-sql.ts: regenerate with `npx tsx src/quality/generate-report-sql.ts`, do not edit.
-- @param start timestamp = today-1d   Inclusive start, UTC
-- @param end timestamp = today        Exclusive end, UTC
WITH
"clickstream_events" AS (
  SELECT "event_time", "arrival_time", "price", "category", "event_id"
  FROM "clickstream"
  WHERE {{partitions(start, end)}}
    AND "event_time" >= {{start}} AND "event_time" < {{end}}
),
"app_logs_events" AS (
  SELECT "timestamp", "arrival_time"
  FROM "app_logs"
  WHERE {{partitions(start, end)}}
    AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
),
"predictions_events" AS (
  SELECT "timestamp", "arrival_time", "prediction_id", "inference_time_ms", "model_version"
  FROM "predictions"
  WHERE {{partitions(start, end)}}
    AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
),
checks AS (
  SELECT 'clickstream' AS source, 'price_plausible' AS expectation, 'range' AS kind, 'hard' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if("price" > 1000000000) AS failed FROM "clickstream_events") AS counts
  UNION ALL
  SELECT 'clickstream' AS source, 'price_typical' AS expectation, 'range' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if("price" > 100000) AS failed FROM "clickstream_events") AS counts
  UNION ALL
  SELECT 'clickstream' AS source, 'category_mostly_present' AS expectation, 'not_null' AS kind, 'soft' AS severity, CAST(0.30000000000000004 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if("category" IS NULL) AS failed FROM "clickstream_events") AS counts
  UNION ALL
  SELECT 'clickstream' AS source, 'event_id_unique' AS expectation, 'unique_within_batch' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count("event_id") - count(DISTINCT "event_id") AS failed FROM "clickstream_events") AS counts
  UNION ALL
  SELECT 'clickstream' AS source, 'fresh_within_5m' AS expectation, 'freshness' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if(age > 300) AS failed FROM (SELECT greatest(0, to_unixtime(max("arrival_time")) - to_unixtime(max("event_time"))) AS age FROM "clickstream_events" GROUP BY date_trunc('hour', "arrival_time")) AS per_hour) AS counts
  UNION ALL
  SELECT 'clickstream' AS source, 'hourly_volume' AS expectation, 'volume_per_hour' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT date_diff('hour', {{start}}, {{end}}) AS checked, count_if(n < 1 OR n > 3600000) + (date_diff('hour', {{start}}, {{end}}) - count(*)) AS failed FROM (SELECT count(*) AS n FROM "clickstream_events" GROUP BY date_trunc('hour', "event_time")) AS per_hour) AS counts
  UNION ALL
  SELECT 'app_logs' AS source, 'fresh_within_15m' AS expectation, 'freshness' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if(age > 900) AS failed FROM (SELECT greatest(0, to_unixtime(max("arrival_time")) - to_unixtime(max("timestamp"))) AS age FROM "app_logs_events" GROUP BY date_trunc('hour', "arrival_time")) AS per_hour) AS counts
  UNION ALL
  SELECT 'predictions' AS source, 'prediction_id_unique' AS expectation, 'unique_within_batch' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count("prediction_id") - count(DISTINCT "prediction_id") AS failed FROM "predictions_events") AS counts
  UNION ALL
  SELECT 'predictions' AS source, 'inference_under_10s' AS expectation, 'range' AS kind, 'soft' AS severity, CAST(0 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if("inference_time_ms" > 10000) AS failed FROM "predictions_events") AS counts
  UNION ALL
  SELECT 'predictions' AS source, 'model_version_present' AS expectation, 'not_null' AS kind, 'soft' AS severity, CAST(0.09999999999999998 AS DOUBLE) AS max_failure_rate, checked, failed
  FROM (SELECT count(*) AS checked, count_if("model_version" IS NULL) AS failed FROM "predictions_events") AS counts
)
SELECT
  source,
  expectation,
  kind,
  severity,
  checked,
  failed,
  CASE WHEN checked = 0 THEN NULL ELSE CAST(failed AS DOUBLE) / checked END AS failure_rate,
  CAST(failed AS DOUBLE) <= max_failure_rate * checked AS holds
FROM checks
ORDER BY source, expectation
