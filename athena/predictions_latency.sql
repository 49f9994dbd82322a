-- Seed 001's performance analysis: mean and 95th-percentile inference latency per model and day.
-- @param start timestamp = today-1d   Inclusive start, UTC
-- @param end timestamp = today        Exclusive end, UTC
SELECT
  date_trunc('day', "timestamp") AS day,
  model_name,
  count(*) AS predictions,
  avg(inference_time_ms) AS avg_latency_ms,
  approx_percentile(inference_time_ms, CAST(0.95 AS DOUBLE)) AS p95_latency_ms
FROM predictions
WHERE {{partitions(start, end)}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
GROUP BY 1, 2
ORDER BY 1, 2
