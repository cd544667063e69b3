-- Runs in flight together record the same object and window: as for the dimensions, they take turns
-- until commit, so a delete+insert never leaves two rows for one.
LOCK TABLE loaded_objects IN SHARE ROW EXCLUSIVE MODE;
