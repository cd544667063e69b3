-- A user's row gives way when the run saw them at or after the event the row was taken from (or the row is from
-- before rows carried that time), so windows loaded out of order still leave each user's latest level.
DELETE FROM users
WHERE EXISTS (
    SELECT 1
    FROM {{ window_users }} AS seen
    WHERE seen.user_id = users.user_id
      AND (users.last_seen_at IS NULL OR seen.last_seen_at >= users.last_seen_at)
);
