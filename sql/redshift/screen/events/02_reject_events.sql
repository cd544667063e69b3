-- The judged events kept as rejects. A staged row no longer knows its file or line: the objects the COPY read
-- stand for it, and the event's identity (with the offending userId or ts) is its raw text.
INSERT INTO rejected_records (run_key, feed, source_object, line_number, reason, raw_text, rejected_at)
SELECT
    :run_key,
    'events',
    :source_object,
    NULL,
    rejection,
    LEFT(
        'userId ' || COALESCE(LEFT(userid, 200), 'null')
        || ', ts ' || COALESCE(CAST(ts AS VARCHAR), 'null')
        || ', sessionId ' || COALESCE(CAST(sessionid AS VARCHAR), 'null')
        || ', itemInSession ' || COALESCE(CAST(iteminsession AS VARCHAR), 'null'),
        1000
    ),
    :rejected_at
FROM {{ staging_events }}
WHERE rejection IS NOT NULL;
