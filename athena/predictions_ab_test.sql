-- Seed 001's A/B comparison: volume, mean confidence and positive rate per model and version.
-- @param start timestamp                    Inclusive start, UTC
-- @param end timestamp                      Exclusive end, UTC
-- @param positive string = POSITIVE         The label counted as positive
SELECT
  model_name,
  coalesce(model_version, 'unversioned') AS model_version,
  count(*) AS predictions,
  avg(score) AS avg_confidence,
  100.0 * count_if(label = {{positive}}) / count(*) AS positive_rate_pct,
  avg(inference_time_ms) AS avg_latency_ms
FROM predictions
WHERE dt BETWEEN {{start.date}} AND {{end.date}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
GROUP BY 1, 2
ORDER BY 1, 2
