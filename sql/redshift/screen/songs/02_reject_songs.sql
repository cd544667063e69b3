-- The judged songs kept as rejects. A staged row no longer knows its file: the objects the COPY read stand for
-- it, and the song's id and title are its raw text.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
SELECT
    :run_key,
    'songs',
    :source_object,
    NULL,
    rejection,
    LEFT('song_id ' || COALESCE(LEFT(song_id, 200), 'null') || ', title ' || COALESCE(title, 'null'), 1000),
    :rejected_at
FROM {{ staging_songs }}
WHERE rejection IS NOT NULL;
