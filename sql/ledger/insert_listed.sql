-- What one run loaded for one window, as two lists (objects, and their identities in the same order): one
-- statement for a whole catalog, on the engines that bind a list as one value (DuckDB, PostgreSQL); Redshift writes
-- the same rows as multi-row INSERTs. The rows are counted next (ledger/count_rejected, ledger/count_staged_<feed>).
INSERT INTO loaded_objects (
    feed, source_object, object_identity, window_start, window_end, rows_staged, rows_rejected, run_key, loaded_at
)
SELECT
    :feed,
    listed.source_object,
    listed.object_identity,
    :window_start,
    :window_end,
    0,
    0,
    :run_key,
    :loaded_at
FROM (
    SELECT
        UNNEST(CAST(:objects AS VARCHAR[])) AS source_object,
        UNNEST(CAST(:identities AS VARCHAR[])) AS object_identity
) AS listed;
