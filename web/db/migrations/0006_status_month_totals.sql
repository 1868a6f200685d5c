-- Revenue and hours of all clients per calendar month and client status, kept on every write by
-- triggers, so that the dashboard's cards for all clients (or for one status) read a few hundred
-- rows however many clients and entries there are. Exact: sums of the same integers the figures
-- query adds up (web/queries/figures.py reads it for whole-month periods only).
--
-- Recurring services are stored as changes: a service adds its monthly price in the month it
-- starts and takes it off in the month after it ends, so the recurring revenue of month M is the
-- sum of the changes up to M, and an open-ended service needs no row per future month.
CREATE TABLE status_month_totals (
    status text NOT NULL,
    month date NOT NULL,  -- the first day of the month
    recurring_change_cents bigint NOT NULL DEFAULT 0,
    one_off_cents bigint NOT NULL DEFAULT 0,
    hourly_cents bigint NOT NULL DEFAULT 0,
    billable_minutes bigint NOT NULL DEFAULT 0,
    minutes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (status, month)
);

-- What each client adds to the totals, month by month: the one definition the triggers and the
-- rebuild share.
CREATE VIEW client_month_contributions AS
    SELECT client_id, month, 0::bigint AS recurring_change_cents, 0::bigint AS one_off_cents,
           amount_cents AS hourly_cents, billable_minutes, minutes
    FROM client_month_entries
    UNION ALL
    SELECT client_id, date_trunc('month', start_date)::date, monthly_price_cents, 0, 0, 0, 0
    FROM services WHERE kind = 'recurring' AND monthly_price_cents IS NOT NULL
    UNION ALL
    SELECT client_id, (date_trunc('month', end_date) + interval '1 month')::date, -monthly_price_cents, 0, 0, 0, 0
    FROM services WHERE kind = 'recurring' AND monthly_price_cents IS NOT NULL AND end_date IS NOT NULL
    UNION ALL
    SELECT client_id, date_trunc('month', start_date)::date, 0, fixed_price_cents, 0, 0, 0
    FROM services WHERE kind = 'one_off' AND fixed_price_cents IS NOT NULL;

-- Adds amounts to the client's status and month; nothing when the client no longer exists (its
-- share was taken off before it was deleted).
CREATE FUNCTION status_month_totals_add(
    client bigint, day date, recurring bigint, one_off bigint, hourly bigint, billable bigint, mins bigint
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO status_month_totals AS t
        (status, month, recurring_change_cents, one_off_cents, hourly_cents, billable_minutes, minutes)
    SELECT c.status, date_trunc('month', day)::date, recurring, one_off, hourly, billable, mins
    FROM clients c WHERE c.id = client
    ON CONFLICT (status, month) DO UPDATE SET
        recurring_change_cents = t.recurring_change_cents + EXCLUDED.recurring_change_cents,
        one_off_cents = t.one_off_cents + EXCLUDED.one_off_cents,
        hourly_cents = t.hourly_cents + EXCLUDED.hourly_cents,
        billable_minutes = t.billable_minutes + EXCLUDED.billable_minutes,
        minutes = t.minutes + EXCLUDED.minutes
$$;

-- Entries: the entry rollup's one function now feeds the status totals as well.
CREATE OR REPLACE FUNCTION client_month_entries_add(c bigint, d date, amount bigint, billable bigint, mins bigint, n bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO client_month_entries AS r (client_id, month, amount_cents, billable_minutes, minutes, entries)
    VALUES (c, date_trunc('month', d)::date, amount, billable, mins, n)
    ON CONFLICT (client_id, month) DO UPDATE SET
        amount_cents = r.amount_cents + EXCLUDED.amount_cents,
        billable_minutes = r.billable_minutes + EXCLUDED.billable_minutes,
        minutes = r.minutes + EXCLUDED.minutes,
        entries = r.entries + EXCLUDED.entries;
    SELECT status_month_totals_add(c, d, 0, 0, amount, billable, mins);
$$;

-- Services: a changed service takes off what it added and adds its new share.
CREATE FUNCTION status_month_totals_service(s services, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF s.kind = 'recurring' AND s.monthly_price_cents IS NOT NULL THEN
        PERFORM status_month_totals_add(s.client_id, s.start_date, sign * s.monthly_price_cents, 0, 0, 0, 0);
        IF s.end_date IS NOT NULL THEN
            PERFORM status_month_totals_add(s.client_id, (date_trunc('month', s.end_date) + interval '1 month')::date,
                                            -sign * s.monthly_price_cents, 0, 0, 0, 0);
        END IF;
    ELSIF s.kind = 'one_off' AND s.fixed_price_cents IS NOT NULL THEN
        PERFORM status_month_totals_add(s.client_id, s.start_date, 0, sign * s.fixed_price_cents, 0, 0, 0);
    END IF;
END
$$;

CREATE FUNCTION status_month_totals_on_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM status_month_totals_service(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM status_month_totals_service(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER status_month_totals_services AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION status_month_totals_on_service();

-- Clients: a new status moves the client's whole share; a deleted client takes it off first (before
-- the cascade deletes its services and entries, whose triggers then find no client).
CREATE FUNCTION status_month_totals_move(client bigint, from_status text, to_status text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO status_month_totals AS t
        (status, month, recurring_change_cents, one_off_cents, hourly_cents, billable_minutes, minutes)
    SELECT moved.status, v.month, moved.sign * SUM(v.recurring_change_cents), moved.sign * SUM(v.one_off_cents),
           moved.sign * SUM(v.hourly_cents), moved.sign * SUM(v.billable_minutes), moved.sign * SUM(v.minutes)
    FROM client_month_contributions v
    CROSS JOIN (VALUES (from_status, -1), (to_status, 1)) AS moved (status, sign)
    WHERE v.client_id = client AND moved.status IS NOT NULL
    GROUP BY moved.status, moved.sign, v.month
    ON CONFLICT (status, month) DO UPDATE SET
        recurring_change_cents = t.recurring_change_cents + EXCLUDED.recurring_change_cents,
        one_off_cents = t.one_off_cents + EXCLUDED.one_off_cents,
        hourly_cents = t.hourly_cents + EXCLUDED.hourly_cents,
        billable_minutes = t.billable_minutes + EXCLUDED.billable_minutes,
        minutes = t.minutes + EXCLUDED.minutes
$$;

CREATE FUNCTION status_month_totals_on_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM status_month_totals_move(OLD.id, OLD.status, NULL);
        RETURN OLD;
    END IF;
    PERFORM status_month_totals_move(NEW.id, OLD.status, NEW.status);
    RETURN NULL;
END
$$;
CREATE TRIGGER status_month_totals_client_deleted BEFORE DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION status_month_totals_on_client();
CREATE TRIGGER status_month_totals_client_status AFTER UPDATE OF status ON clients
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION status_month_totals_on_client();

-- Rebuilds the totals from the rollup and the services (after a bulk load, or a TRUNCATE).
CREATE FUNCTION status_month_totals_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM status_month_totals;
    INSERT INTO status_month_totals
        (status, month, recurring_change_cents, one_off_cents, hourly_cents, billable_minutes, minutes)
    SELECT c.status, v.month, SUM(v.recurring_change_cents), SUM(v.one_off_cents), SUM(v.hourly_cents),
           SUM(v.billable_minutes), SUM(v.minutes)
    FROM client_month_contributions v JOIN clients c ON c.id = v.client_id
    GROUP BY 1, 2;
$$;

CREATE FUNCTION status_month_totals_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM status_month_totals_rebuild();
    RETURN NULL;
END
$$;
-- On timesheet_entries the name sorts after client_month_entries_truncate, so the rollup is empty
-- by the time this rebuild reads it.
CREATE TRIGGER status_month_totals_truncate AFTER TRUNCATE ON timesheet_entries
    FOR EACH STATEMENT EXECUTE FUNCTION status_month_totals_on_truncate();
CREATE TRIGGER status_month_totals_truncate AFTER TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION status_month_totals_on_truncate();
CREATE TRIGGER status_month_totals_truncate AFTER TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION status_month_totals_on_truncate();

SELECT status_month_totals_rebuild();
