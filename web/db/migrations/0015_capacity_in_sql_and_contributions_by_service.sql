-- Two reads made fast on dataset l (issue #20's target: the dashboard within 1.2x of before):
--
-- 1. The client rows read client_month_contributions for a page of clients. Since migration 0012
--    its retainer rows named the client of the term (t.client_id), which the planner cannot tie to
--    services.client_id: every retainer's terms were computed before the page's clients were kept
--    (two scans of 10,000 retainers, 16 ms a page). Named from the service, the filter uses the
--    index again.
CREATE OR REPLACE VIEW client_month_contributions AS
    SELECT client_id, month, 0::bigint AS recurring_change_cents, 0::bigint AS one_off_cents,
           amount_cents AS hourly_cents, billable_minutes, minutes
    FROM client_month_entries
    UNION ALL
    SELECT s.client_id, date_trunc('month', t.start_date)::date, t.monthly_price_cents, 0, 0, 0, 0
    FROM services s CROSS JOIN LATERAL recurring_terms(s) t
    WHERE s.kind = 'recurring'
    UNION ALL
    SELECT s.client_id, (date_trunc('month', t.end_date) + interval '1 month')::date, -t.monthly_price_cents, 0, 0, 0, 0
    FROM services s CROSS JOIN LATERAL recurring_terms(s) t
    WHERE s.kind = 'recurring' AND t.end_date IS NOT NULL
    UNION ALL
    SELECT client_id, date_trunc('month', start_date)::date, 0, fixed_price_cents, 0, 0, 0
    FROM services WHERE kind = 'one_off' AND fixed_price_cents IS NOT NULL;

-- 2. Capacity (migration 0011) was summed in Python, person by person: 30 ms of the event loop for
--    7,500 people on l, holding every other partial back. The sum is SQL's now: Mondays to Fridays
--    in a..b (0 when a > b), closed form but for the last part-week.
CREATE FUNCTION weekdays_between(a date, b date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN a > b THEN 0
       ELSE ((b - a + 1) / 7) * 5
            + (SELECT count(*)::integer FROM generate_series(0, (b - a + 1) % 7 - 1) AS k
               WHERE extract(isodow FROM a + k) < 6) END;
