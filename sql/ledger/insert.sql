-- What one run loaded from each object, and as which identity; the rows are counted next
-- (ledger/count_rejected, ledger/count_staged_<feed>).
INSERT INTO loaded_objects (
    feed, source_object, identity, window_start, window_end, rows_staged, rows_rejected, run_key, loaded_at
)
VALUES (:feed, :source_object, :identity, :window_start, :window_end, 0, 0, :run_key, :loaded_at);
