-- A mart about to be recorded as created again from its new definition.
DELETE FROM mart_definitions
WHERE view_name = :view_name;
