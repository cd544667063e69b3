-- Redshift's COPY reads a key or every object under a prefix: the rejects of what it reads are replaced.
DELETE FROM rejected_records
WHERE feed = :feed
  AND source_object LIKE :pattern;
