-- First in every transaction that writes rejected_records: the feeds of one run and of runs in flight write it
-- together, and under serializable isolation two such transactions could abort one another (ERROR 1023).
LOCK rejected_records;
