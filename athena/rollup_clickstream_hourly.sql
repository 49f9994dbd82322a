-- Seed 003's hourly batch job: one hour of clickstream activity per event type, category and device, into clickstream_hourly.
-- Run by the rollup Lambda (and `featurelake rollup`), which first deletes the hour's files: rerunning an hour replaces it.
-- @param hour timestamp = today-1d   Start of the hour, UTC (e.g. 2024-03-05T07:00:00Z)
INSERT INTO clickstream_hourly
SELECT
  event_type,
  category,
  device,
  count(*) AS events,
  count(DISTINCT user_id) AS users,
  count(DISTINCT session_id) AS sessions,
  coalesce(sum(CASE WHEN event_type = 'purchase' THEN price END), 0) AS revenue,
  {{hour.date}} AS dt,
  {{hour.hour}} AS hr
FROM clickstream
WHERE {{hour.partition}}
  AND event_time >= {{hour}} AND event_time < {{hour}} + INTERVAL '1' HOUR
GROUP BY event_type, category, device
