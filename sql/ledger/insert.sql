-- What one run loaded from each object, and as which identity.
INSERT INTO loaded_objects (
    feed, source_object, identity, window_start, window_end, rows_staged, rows_rejected, run_key, loaded_at
)
VALUES (
    :feed, :source_object, :identity, :window_start, :window_end, :rows_staged, :rows_rejected, :run_key, :loaded_at
);
