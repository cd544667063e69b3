-- Each quality check's history in brief, for operators: its latest result, when it last failed, the runs since.
CREATE OR REPLACE VIEW check_health AS
WITH ranked_results AS (
    SELECT
        check_name,
        severity,
        observed,
        expected,
        passed,
        checked_at,
        ROW_NUMBER() OVER (
            PARTITION BY check_name
            ORDER BY checked_at DESC, run_key DESC
        ) AS recency
    FROM check_results
),

last_failures AS (
    SELECT
        check_name,
        MAX(checked_at) AS last_failed_at
    FROM check_results
    WHERE NOT passed
    GROUP BY check_name
),

results_since_failure AS (
    SELECT
        results.check_name,
        COUNT(*) AS results_since_failure
    FROM check_results AS results
    LEFT JOIN last_failures ON last_failures.check_name = results.check_name
    WHERE last_failures.last_failed_at IS NULL
       OR results.checked_at > last_failures.last_failed_at
    GROUP BY results.check_name
)

SELECT
    latest.check_name,
    latest.severity,
    latest.passed AS last_passed,
    latest.observed AS last_observed,
    latest.expected,
    latest.checked_at AS last_checked_at,
    last_failures.last_failed_at,
    COALESCE(results_since_failure.results_since_failure, 0) AS runs_since_failure
FROM ranked_results AS latest
LEFT JOIN last_failures ON last_failures.check_name = latest.check_name
LEFT JOIN results_since_failure ON results_since_failure.check_name = latest.check_name
WHERE latest.recency = 1;
