-- Seed 001's A/B comparison: volume, mean confidence and positive rate per model and version.
-- @param start timestamp = today-1d   Inclusive start, UTC
-- @param end timestamp = today        Exclusive end, UTC
-- @param positive string = POSITIVE   The label counted as positive
SELECT
  model_name,
  coalesce(model_version, 'unversioned') AS model_version,
  count(*) AS predictions,
  avg(score) AS avg_confidence,
  100 * CAST(count_if(label = {{positive}}) AS DOUBLE) / count(*) AS positive_rate_pct,
  avg(inference_time_ms) AS avg_latency_ms
FROM predictions
WHERE {{partitions(start, end)}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
GROUP BY 1, 2
ORDER BY 1, 2
