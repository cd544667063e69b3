-- The cluster's slices, one row each in STV_SLICES: the catalog's COPY reads a number of parts that is a
-- multiple of them, so that every slice loads an equal share (AWS, "Loading data files"). A provisioned
-- cluster only: Serverless has no STV tables.
SELECT COUNT(*) AS slices
FROM stv_slices;
