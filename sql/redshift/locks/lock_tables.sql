-- First in every transaction that writes a shared table, before anything takes its snapshot: runs in flight together
-- take turns until commit instead of one aborting with a serializable isolation violation (ERROR 1023). LOCK is
-- ACCESS EXCLUSIVE, so every table the transaction reads is locked too, in the one order every transaction locks in
-- (sparkify/schema.py LOCK_ORDER), as AWS advises: two runs never wait on each other.
LOCK {{ tables }};
