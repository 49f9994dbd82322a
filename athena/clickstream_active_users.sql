-- Seed 003's active users: distinct users, sessions and events per hour or day.
-- @param start timestamp = today-1d         Inclusive start, UTC
-- @param end timestamp = today              Exclusive end, UTC
-- @param granularity enum(1h,1day) = 1day   Per hour or per day
SELECT
  CASE {{granularity}} WHEN '1h' THEN date_trunc('hour', event_time) ELSE date_trunc('day', event_time) END AS bucket,
  count(DISTINCT user_id) AS active_users,
  count(DISTINCT session_id) AS sessions,
  count(*) AS events
FROM clickstream
WHERE {{partitions(start, end)}}
  AND event_time >= {{start}} AND event_time < {{end}}
GROUP BY 1
ORDER BY 1
