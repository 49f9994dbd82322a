-- Seed 004's log aggregation: sums of metric_1..metric_9 per time bucket (30m, 1h, 1day) and dimensions (user, app, user+app).
-- @param start timestamp = today-1d                     Inclusive start, UTC (e.g. 2025-01-01T00:00:00Z); also from=
-- @param end timestamp = today                          Exclusive end, UTC; or to= for an inclusive end (to=2025-01-31: through that day)
-- @param granularity enum(30m|1h|1day) = 1h             Width of a time bucket
-- @param dims enum(user|app|user_app|user,app) = user   Group by user, by app, or by both (user_app or user,app)
-- @param user string[]?                                 Only these users (user1,user2)
-- @param app string[]?                                  Only these apps (mail,chat)
SELECT
  CASE {{granularity}}
    WHEN '1day' THEN date_trunc('day', "timestamp")
    WHEN '1h' THEN date_trunc('hour', "timestamp")
    ELSE date_trunc('hour', "timestamp")
      + CASE WHEN minute("timestamp") >= 30 THEN INTERVAL '30' MINUTE ELSE INTERVAL '0' MINUTE END
  END AS bucket,
  CASE WHEN {{dims}} IN ('user', 'user_app', 'user,app') THEN "user" END AS "user",
  CASE WHEN {{dims}} IN ('app', 'user_app', 'user,app') THEN app END AS app,
  count(*) AS events,
  sum(metric_1) AS metric_1,
  sum(metric_2) AS metric_2,
  sum(metric_3) AS metric_3,
  sum(metric_4) AS metric_4,
  sum(metric_5) AS metric_5,
  sum(metric_6) AS metric_6,
  sum(metric_7) AS metric_7,
  sum(metric_8) AS metric_8,
  sum(metric_9) AS metric_9
FROM app_logs
WHERE {{partitions(start, end)}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
  AND ({{user}} IS NULL OR contains({{user}}, "user"))
  AND ({{app}} IS NULL OR contains({{app}}, app))
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
