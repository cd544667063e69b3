-- The CSV event logs' good records as they are (sparkify/sources.py describes the layout): one text
-- column per header field, named and ordered like it, ts still in epoch milliseconds. Created and
-- dropped in the staging's transaction, so a failed staging leaves nothing behind either.
CREATE TEMPORARY TABLE csv_events (
    "artist" TEXT,
    "auth" TEXT,
    "firstName" TEXT,
    "gender" TEXT,
    "itemInSession" TEXT,
    "lastName" TEXT,
    "length" TEXT,
    "level" TEXT,
    "location" TEXT,
    "method" TEXT,
    "page" TEXT,
    "registration" TEXT,
    "sessionId" TEXT,
    "song" TEXT,
    "status" TEXT,
    "ts" TEXT,
    "userAgent" TEXT,
    "userId" TEXT
);
