-- Seed 003's breakdown by a user attribute: activity, purchases and conversion per device.
-- @param start timestamp = today-1d   Inclusive start, UTC
-- @param end timestamp = today        Exclusive end, UTC
SELECT
  coalesce(device, 'unknown') AS device,
  count(DISTINCT user_id) AS users,
  count(*) AS events,
  count_if(event_type = 'page_view') AS views,
  count_if(event_type = 'purchase') AS purchases,
  coalesce(sum(CASE WHEN event_type = 'purchase' THEN price END), 0) AS revenue,
  CASE WHEN count_if(event_type = 'page_view') = 0 THEN 0
    ELSE CAST(count_if(event_type = 'purchase') AS DOUBLE) / count_if(event_type = 'page_view') END AS conversion_rate
FROM clickstream
WHERE {{partitions(start, end)}}
  AND event_time >= {{start}} AND event_time < {{end}}
GROUP BY 1
ORDER BY events DESC, device
