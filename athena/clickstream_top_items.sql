-- Seed 003's top items: the most viewed products (or categories) per hour or day, by page views.
-- @param start timestamp = today-1d              Inclusive start, UTC
-- @param end timestamp = today                   Exclusive end, UTC
-- @param granularity enum(1h,1day) = 1day        Per hour or per day
-- @param item enum(product,category) = product   Rank products or categories
-- @param top int>0 = 10                         Items per bucket
WITH views AS (
  SELECT
    CASE {{granularity}} WHEN '1h' THEN date_trunc('hour', event_time) ELSE date_trunc('day', event_time) END AS bucket,
    CASE {{item}} WHEN 'category' THEN category ELSE product_id END AS item,
    count(*) AS views,
    count(DISTINCT user_id) AS users
  FROM clickstream
  WHERE {{partitions(start, end)}}
    AND event_time >= {{start}} AND event_time < {{end}}
    AND event_type = 'page_view'
  GROUP BY 1, 2
),
ranked AS (
  SELECT bucket, item, views, users, row_number() OVER (PARTITION BY bucket ORDER BY views DESC, item) AS rank
  FROM views
  WHERE item IS NOT NULL
)
SELECT bucket, rank, item, views, users
FROM ranked
WHERE rank <= {{top}}
ORDER BY bucket, rank
