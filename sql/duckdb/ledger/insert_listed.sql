-- What one run loaded for one window, as two lists (objects, and their identities in the same order):
-- one statement for a whole catalog, where an INSERT per object costs a round trip each. The rows are
-- counted next (ledger/count_rejected, ledger/count_staged_<feed>).
INSERT INTO loaded_objects (
    feed, source_object, identity, window_start, window_end, rows_staged, rows_rejected, run_key, loaded_at
)
SELECT
    :feed,
    listed.source_object,
    listed.identity,
    :window_start,
    :window_end,
    0,
    0,
    :run_key,
    :loaded_at
FROM (
    SELECT
        UNNEST(CAST(:objects AS VARCHAR[])) AS source_object,
        UNNEST(CAST(:identities AS VARCHAR[])) AS identity
) AS listed;
