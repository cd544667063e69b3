-- The views in the warehouse's schema: a mart that was dropped by hand is created again.
SELECT table_name
FROM information_schema.views
WHERE table_schema = CURRENT_SCHEMA();
