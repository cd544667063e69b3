-- The window's ten most played artists, each counted as plays_by_artist counts it.
SELECT
    artist_name,
    in_catalog,
    SUM(plays) AS plays
FROM plays_by_artist
WHERE played_hour >= :window_start
  AND played_hour < :window_end
GROUP BY artist_id, artist_name, in_catalog
ORDER BY SUM(plays) DESC, artist_name
LIMIT 10;
