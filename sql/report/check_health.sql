-- What `sparkify health` prints: each check's latest result, the most recently checked first.
SELECT
    check_name,
    severity,
    last_passed,
    last_observed,
    expected,
    last_checked_at,
    last_failed_at,
    runs_since_failure
FROM check_health
ORDER BY last_checked_at DESC, check_name;
