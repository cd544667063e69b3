-- The window's ten most played songs, each counted as plays_by_song counts it.
SELECT
    song_title,
    artist_name,
    in_catalog,
    SUM(plays) AS plays
FROM plays_by_song
WHERE played_hour >= :window_start
  AND played_hour < :window_end
GROUP BY song_id, song_title, artist_id, artist_name, in_catalog
ORDER BY SUM(plays) DESC, song_title, artist_name
LIMIT 10;
