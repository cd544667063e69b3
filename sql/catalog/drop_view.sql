-- A mart whose new definition changes its columns, dropped alone: never CASCADE, which would silently drop the
-- views analysts built on it, with their grants. When such views exist this fails, and the run says what to do.
DROP VIEW IF EXISTS {{ view }};
