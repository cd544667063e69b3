-- The song_ids this run staged that another song file also gives (among the staged files or in the catalog), with
-- the file the catalog keeps and the other: the load keeps the file modified last, and the run reports the rest.
WITH staged_files AS (
    SELECT DISTINCT song_id, source_object, source_modified_at
    FROM {{ staging_songs }}
    WHERE song_id IS NOT NULL
),

candidate_files AS (
    SELECT song_id, source_object, source_modified_at
    FROM staged_files
    UNION
    SELECT catalog.song_id, catalog.source_object, catalog.source_modified_at
    FROM song_catalog AS catalog
    WHERE catalog.song_id IN (
        SELECT song_id
        FROM staged_files
    )
),

ranked_files AS (
    SELECT
        song_id,
        source_object,
        ROW_NUMBER() OVER (
            PARTITION BY song_id
            ORDER BY source_modified_at DESC NULLS LAST, source_object DESC
        ) AS recency
    FROM candidate_files
)

SELECT
    kept.song_id,
    kept.source_object AS kept_object,
    other.source_object AS other_object
FROM ranked_files AS kept
INNER JOIN ranked_files AS other
    ON other.song_id = kept.song_id
    AND other.recency > 1
WHERE kept.recency = 1
ORDER BY kept.song_id, other.source_object;
