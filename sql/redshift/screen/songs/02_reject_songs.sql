-- The judged songs kept as rejects, each named by the song file it was compacted from (its source_object: a
-- song file is one record, line 1); the song's id and title are its raw text.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
SELECT
    :run_key,
    'songs',
    source_object,
    1,
    rejection,
    LEFT('song_id ' || COALESCE(LEFT(song_id, 200), 'null') || ', title ' || COALESCE(title, 'null'), 1000),
    :rejected_at
FROM {{ staging_songs }}
WHERE rejection IS NOT NULL;
