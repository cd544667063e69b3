-- Statistics for a table a run has just filled (its staging and window tables): the planner then sizes its joins
-- by the rows really there, not by an empty table's estimate (a nested loop over 40,000 staged events took 71 s).
ANALYZE {{ table }};
