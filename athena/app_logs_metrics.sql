-- Seed 004's log aggregation: sums of metric_1..metric_9 per time bucket (30m, 1h, 1day) and dimensions (user, app, user+app).
-- @param start timestamp                        Inclusive start, UTC (e.g. 2024-01-01T00:00:00Z)
-- @param end timestamp                          Exclusive end, UTC
-- @param granularity enum(30m,1h,1day) = 1h     Width of a time bucket
-- @param dims enum(user,app,user_app) = user    Group by user, by app, or by both
-- @param user string?                           Only this user
-- @param app string?                            Only this app
SELECT
  CASE {{granularity}}
    WHEN '1day' THEN date_trunc('day', "timestamp")
    WHEN '1h' THEN date_trunc('hour', "timestamp")
    ELSE date_trunc('hour', "timestamp")
      + CASE WHEN minute("timestamp") >= 30 THEN INTERVAL '30' MINUTE ELSE INTERVAL '0' MINUTE END
  END AS bucket,
  CASE WHEN {{dims}} IN ('user', 'user_app') THEN "user" END AS "user",
  CASE WHEN {{dims}} IN ('app', 'user_app') THEN app END AS app,
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
WHERE dt BETWEEN {{start.date}} AND {{end.date}}
  AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
  AND ({{user}} IS NULL OR "user" = {{user}})
  AND ({{app}} IS NULL OR app = {{app}})
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
