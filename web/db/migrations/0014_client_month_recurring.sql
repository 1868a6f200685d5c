-- Each client's retainer revenue as changes by month (issue #20, MRR movements): a term of a
-- retainer (migration 0012) adds its price in its first month and takes it off in the month after
-- its last, as in status_month_totals, but per client. MRR movements classify each client's change
-- from one month to the next (new, expansion, contraction, churn, reactivation), which needs the
-- client's series: read from here, a few rows per client, instead of every retainer's terms.
-- Rows that come to zero are removed, so a client's rows are the months its MRR changes.
CREATE TABLE client_month_recurring (
    client_id bigint NOT NULL,
    month date NOT NULL,  -- the first day of the month
    change_cents bigint NOT NULL,
    PRIMARY KEY (client_id, month)
);

CREATE FUNCTION client_month_recurring_add(s services, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t record;
    change record;
BEGIN
    FOR t IN SELECT * FROM recurring_terms(s) LOOP
        FOR change IN SELECT * FROM (VALUES
                (date_trunc('month', t.start_date)::date, sign * t.monthly_price_cents),
                ((date_trunc('month', t.end_date) + interval '1 month')::date, -sign * t.monthly_price_cents)
            ) AS v (month, cents) WHERE v.month IS NOT NULL AND v.cents <> 0 LOOP
            INSERT INTO client_month_recurring AS r (client_id, month, change_cents)
            VALUES (s.client_id, change.month, change.cents)
            ON CONFLICT (client_id, month) DO UPDATE SET change_cents = r.change_cents + EXCLUDED.change_cents;
            DELETE FROM client_month_recurring WHERE client_id = s.client_id AND month = change.month AND change_cents = 0;
        END LOOP;
    END LOOP;
END
$$;

CREATE FUNCTION client_month_recurring_on_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'recurring' THEN
        PERFORM client_month_recurring_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'recurring' THEN
        PERFORM client_month_recurring_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_recurring_services AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION client_month_recurring_on_service();

-- Rebuilds the table from the services (after a bulk load, or a TRUNCATE).
CREATE FUNCTION client_month_recurring_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM client_month_recurring;
    INSERT INTO client_month_recurring (client_id, month, change_cents)
    SELECT client_id, month, SUM(recurring_change_cents) FROM client_month_contributions
    WHERE recurring_change_cents <> 0 GROUP BY 1, 2 HAVING SUM(recurring_change_cents) <> 0;
$$;

CREATE FUNCTION client_month_recurring_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM client_month_recurring_rebuild();
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_recurring_truncate AFTER TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION client_month_recurring_on_truncate();
CREATE TRIGGER client_month_recurring_truncate AFTER TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION client_month_recurring_on_truncate();

SELECT client_month_recurring_rebuild();
