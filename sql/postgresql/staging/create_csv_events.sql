-- The CSV event logs as they are (sparkify/sources.py describes the layout): one column per header
-- field, named and ordered like it, ts still in epoch milliseconds. Created and dropped in the staging's
-- transaction, so a failed staging leaves nothing behind either.
CREATE TEMPORARY TABLE csv_events (
    "artist" TEXT,
    "auth" TEXT,
    "firstName" TEXT,
    "gender" TEXT,
    "itemInSession" INTEGER,
    "lastName" TEXT,
    "length" DOUBLE PRECISION,
    "level" TEXT,
    "location" TEXT,
    "method" TEXT,
    "page" TEXT,
    "registration" DOUBLE PRECISION,
    "sessionId" INTEGER,
    "song" TEXT,
    "status" INTEGER,
    "ts" BIGINT,
    "userAgent" TEXT,
    "userId" TEXT
);
