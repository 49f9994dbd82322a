-- Seed 001's performance analysis: mean and 95th-percentile inference latency per model and day.
-- @param start timestamp    Inclusive start, UTC
-- @param end timestamp      Exclusive end, UTC
SELECT
  date_trunc('day', "timestamp") AS day,
  model_name,
  count(*) AS predictions,
  avg(inference_time_ms) AS avg_latency_ms,
  approx_percentile(inference_time_ms, 0.95) AS p95_latency_ms
FROM predictions
WHERE dt BETWEEN {{start.date}} AND {{end.date}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
GROUP BY 1, 2
ORDER BY 1, 2
