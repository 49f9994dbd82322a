-- Seed 001's research query: the least confident predictions, for review and relabelling.
-- @param start timestamp = today-1d   Inclusive start, UTC
-- @param end timestamp = today        Exclusive end, UTC
-- @param threshold double = 0.7       Scores below this are low confidence
-- @param model string?                Only this model
-- @param limit int>0 = 100            Rows returned
SELECT "timestamp", prediction_id, model_name, model_version, label, score, text
FROM predictions
WHERE {{partitions(start, end)}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
  AND score < {{threshold}}
  AND ({{model}} IS NULL OR model_name = {{model}})
ORDER BY score, prediction_id
LIMIT {{limit}}
