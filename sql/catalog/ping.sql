-- Asked first by every run: the warehouse answers and the login works, before any step starts.
SELECT 1;
