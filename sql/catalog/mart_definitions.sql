-- Which definition (a digest of its sql/marts file) each mart view was last created from.
SELECT view_name, definition_sha256
FROM mart_definitions;
