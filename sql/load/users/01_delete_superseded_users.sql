-- A user's row gives way when this run saw them at or after the event the row was taken from,
-- so windows loaded out of order still leave each user's latest level.
DELETE FROM users
WHERE EXISTS (
    SELECT 1
    FROM {{ staging_events }} AS events
    WHERE CAST(NULLIF(TRIM(events.userid), '') AS INTEGER) = users.user_id
      AND events.ts >= users.last_seen_at
      AND events.ts >= :window_start
      AND events.ts < :window_end
);
