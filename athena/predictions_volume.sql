-- Seed 001's cost analysis: predictions per day and environment, with an estimated cost.
-- @param start timestamp = today-1d             Inclusive start, UTC
-- @param end timestamp = today                  Exclusive end, UTC
-- @param cost_per_prediction double = 0.00001   USD per prediction
SELECT
  date_trunc('day', "timestamp") AS day,
  environment,
  count(*) AS predictions,
  count(*) * {{cost_per_prediction}} AS estimated_cost_usd
FROM predictions
WHERE {{partitions(start, end)}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
GROUP BY 1, 2
ORDER BY 1, 2
