-- First in every transaction that writes a shared table: runs in flight together take turns on the tables they
-- read and write until commit (under READ COMMITTED two delete+insert upserts would both insert the same keys, and
-- two reloads of one window would both leave their facts). Readers go on. The tables come in the one order every
-- transaction locks in (sparkify/schema.py LOCK_ORDER), so two runs never wait on each other.
LOCK TABLE {{ tables }} IN SHARE ROW EXCLUSIVE MODE;
