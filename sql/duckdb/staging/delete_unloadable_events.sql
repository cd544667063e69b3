-- The placeholders of bad lines (every loadable event has a ts): one row back for each, which tells
-- whether to look closer.
DELETE FROM {{ staging_events }}
WHERE ts IS NULL
RETURNING 1;
