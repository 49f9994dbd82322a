-- Seed 003's top songs: the most played songs per hour or day, with their listeners, skip rate and time played.
-- @param start timestamp = today-1d              Inclusive start, UTC
-- @param end timestamp = today                   Exclusive end, UTC
-- @param granularity enum(1h,1day) = 1day        Per hour or per day
-- @param top int>0 = 10                          Songs per bucket
WITH plays AS (
  SELECT
    CASE {{granularity}} WHEN '1h' THEN date_trunc('hour', ts) ELSE date_trunc('day', ts) END AS bucket,
    song_id,
    min(song) AS song,
    min(artist) AS artist,
    count(*) AS plays,
    count(DISTINCT user_id) AS listeners,
    count_if(skipped) AS skips,
    sum(ms_played) AS ms_played
  FROM listen_events
  WHERE {{partitions(start, end)}}
    AND ts >= {{start}} AND ts < {{end}}
  GROUP BY 1, 2
),
ranked AS (
  SELECT bucket, song_id, song, artist, plays, listeners, skips, ms_played,
    row_number() OVER (PARTITION BY bucket ORDER BY plays DESC, song_id) AS rank
  FROM plays
)
SELECT bucket, rank, song_id, song, artist, plays, listeners, CAST(skips AS DOUBLE) / plays AS skip_rate, ms_played
FROM ranked
WHERE rank <= {{top}}
ORDER BY bucket, rank
