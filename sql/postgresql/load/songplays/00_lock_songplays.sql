-- Two runs may load one window at once (an earlier window reloaded by both): under READ COMMITTED the
-- second DELETE would miss the first's inserted facts and the window would hold them twice. They take
-- turns until commit, as does the catalog's re-matching of plays (sql/postgresql/load/catalog/).
LOCK TABLE songplays IN SHARE ROW EXCLUSIVE MODE;
