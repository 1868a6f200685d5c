-- Dated retainer prices (issue #20): a recurring service's price changes from a month on, and the
-- months before keep what they billed. Editing the price rewrote every month the service ever billed.
--
-- The changes live on the service row, in date order: [{"from": "2026-12-01", "cents": 260500}, ...],
-- each the price from that month on (until the next); monthly_price_cents is the price before the
-- first. On the row, a price change is one write to one row like any other edit of a service: the
-- triggers below take off what the row added and add its new share, and the audit log keeps the
-- row's before and after, so the client's history shows every change.
ALTER TABLE services ADD COLUMN price_changes jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(price_changes) = 'array');

-- A recurring service as runs of one price: each change starts a term on the first of its month,
-- and the term before ends the day before. The terms of a service are its active days, split at
-- month starts; so a month is billed once, at the price of the term holding it. None for the other
-- kinds. Every figure reads retainers through this function and dated_value below.
CREATE FUNCTION recurring_terms(s services)
RETURNS TABLE (client_id bigint, start_date date, end_date date, monthly_price_cents bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH steps AS (
        SELECT '-infinity'::date AS from_day, s.monthly_price_cents AS cents
        UNION ALL
        SELECT (c ->> 'from')::date, (c ->> 'cents')::bigint FROM jsonb_array_elements(s.price_changes) c
    ), runs AS (
        SELECT from_day, cents, lead(from_day) OVER (ORDER BY from_day) AS next_day FROM steps
    )
    SELECT s.client_id, GREATEST(from_day, s.start_date), LEAST(s.end_date, next_day - 1), cents
    FROM runs
    WHERE s.kind = 'recurring' AND s.monthly_price_cents IS NOT NULL
      AND GREATEST(from_day, s.start_date) <= COALESCE(LEAST(s.end_date, next_day - 1), 'infinity'::date)
$$;

-- A dated value on a day (web/dated.py): the last change from that day or before, else the first
-- value. A change may set none (a client's rate, from a date on its staff's rates).
CREATE FUNCTION dated_value(first bigint, changes jsonb, d date) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN EXISTS (SELECT FROM jsonb_array_elements(changes) c WHERE (c ->> 'from')::date <= d)
           THEN (SELECT (c ->> 'cents')::bigint FROM jsonb_array_elements(changes) c
                 WHERE (c ->> 'from')::date <= d ORDER BY (c ->> 'from')::date DESC LIMIT 1)
           ELSE first END
$$;


-- MRR today reads the price on the row: the index carries the changes too, for index-only scans.
DROP INDEX services_recurring_idx;
CREATE INDEX services_recurring_idx
    ON services (client_id) INCLUDE (start_date, end_date, monthly_price_cents, price_changes) WHERE kind = 'recurring';

-- What each client adds to the totals, month by month (migration 0006), with retainers by term.
CREATE OR REPLACE VIEW client_month_contributions AS
    SELECT client_id, month, 0::bigint AS recurring_change_cents, 0::bigint AS one_off_cents,
           amount_cents AS hourly_cents, billable_minutes, minutes
    FROM client_month_entries
    UNION ALL
    SELECT t.client_id, date_trunc('month', t.start_date)::date, t.monthly_price_cents, 0, 0, 0, 0
    FROM services s CROSS JOIN LATERAL recurring_terms(s) t
    WHERE s.kind = 'recurring'
    UNION ALL
    SELECT t.client_id, (date_trunc('month', t.end_date) + interval '1 month')::date, -t.monthly_price_cents, 0, 0, 0, 0
    FROM services s CROSS JOIN LATERAL recurring_terms(s) t
    WHERE s.kind = 'recurring' AND t.end_date IS NOT NULL
    UNION ALL
    SELECT client_id, date_trunc('month', start_date)::date, 0, fixed_price_cents, 0, 0, 0
    FROM services WHERE kind = 'one_off' AND fixed_price_cents IS NOT NULL;

-- Services: a changed service takes off what its terms added and adds its new terms' share.
CREATE OR REPLACE FUNCTION status_month_totals_service(s services, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    IF s.kind = 'recurring' THEN
        FOR t IN SELECT * FROM recurring_terms(s) LOOP
            PERFORM status_month_totals_add(s.client_id, t.start_date, sign * t.monthly_price_cents, 0, 0, 0, 0);
            IF t.end_date IS NOT NULL THEN
                PERFORM status_month_totals_add(s.client_id, (date_trunc('month', t.end_date) + interval '1 month')::date,
                                                -sign * t.monthly_price_cents, 0, 0, 0, 0);
            END IF;
        END LOOP;
    ELSIF s.kind = 'one_off' AND s.fixed_price_cents IS NOT NULL THEN
        PERFORM status_month_totals_add(s.client_id, s.start_date, 0, sign * s.fixed_price_cents, 0, 0, 0);
    END IF;
END
$$;
