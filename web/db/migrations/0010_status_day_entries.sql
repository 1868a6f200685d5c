-- Hours and hourly revenue of all clients per day and client status, kept on every write by
-- triggers, for the periods that cut a month: "this month so far" and the same days of the month
-- before (the like-for-like revenue card, issue #20), a custom range. Without it those periods read
-- every entry of their days client by client: 83 ms for 1-3 December on dataset l, where the other
-- cards take 3-5 ms. With it they read a few rows per day however many entries a day has.
-- Exact: sums of the same integers as client_month_entries (web/queries/figures.py).
CREATE TABLE status_day_entries (
    day date NOT NULL,
    status text NOT NULL,
    amount_cents bigint NOT NULL DEFAULT 0,
    billable_minutes bigint NOT NULL DEFAULT 0,
    minutes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, status)  -- day first: every read is a range of days, for all statuses or one
);

-- The other reads of those periods: retainers that end, or begin, on the days of a month the period
-- leaves out, and one-offs on the days it cuts (a few rows each, of tens of thousands of services).
CREATE INDEX services_start_date_idx ON services (start_date);
CREATE INDEX services_end_date_idx ON services (end_date);

-- Adds amounts to the client's status and day; nothing when the client no longer exists (its
-- share was taken off before it was deleted).
CREATE FUNCTION status_day_entries_add(client bigint, d date, amount bigint, billable bigint, mins bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO status_day_entries AS t (day, status, amount_cents, billable_minutes, minutes)
    SELECT d, c.status, amount, billable, mins FROM clients c WHERE c.id = client
    ON CONFLICT (day, status) DO UPDATE SET
        amount_cents = t.amount_cents + EXCLUDED.amount_cents,
        billable_minutes = t.billable_minutes + EXCLUDED.billable_minutes,
        minutes = t.minutes + EXCLUDED.minutes
$$;

-- Entries: the entry trigger's one function (migrations 0005, 0006) now feeds the days as well.
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
    SELECT status_day_entries_add(c, d, amount, billable, mins);
$$;

-- Clients: a new status moves the client's days; a deleted client takes them off first (before the
-- cascade deletes its entries, whose triggers then find no client).
CREATE FUNCTION status_day_entries_move(client bigint, from_status text, to_status text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO status_day_entries AS t (day, status, amount_cents, billable_minutes, minutes)
    SELECT e.work_date, moved.status, moved.sign * SUM(e.amount_cents),
           moved.sign * SUM(CASE WHEN e.billable THEN e.minutes ELSE 0 END), moved.sign * SUM(e.minutes)
    FROM timesheet_entries e
    CROSS JOIN (VALUES (from_status, -1), (to_status, 1)) AS moved (status, sign)
    WHERE e.client_id = client AND moved.status IS NOT NULL
    GROUP BY moved.status, moved.sign, e.work_date
    ON CONFLICT (day, status) DO UPDATE SET
        amount_cents = t.amount_cents + EXCLUDED.amount_cents,
        billable_minutes = t.billable_minutes + EXCLUDED.billable_minutes,
        minutes = t.minutes + EXCLUDED.minutes
$$;

CREATE FUNCTION status_day_entries_on_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM status_day_entries_move(OLD.id, OLD.status, NULL);
        RETURN OLD;
    END IF;
    PERFORM status_day_entries_move(NEW.id, OLD.status, NEW.status);
    RETURN NULL;
END
$$;
CREATE TRIGGER status_day_entries_client_deleted BEFORE DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION status_day_entries_on_client();
CREATE TRIGGER status_day_entries_client_status AFTER UPDATE OF status ON clients
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION status_day_entries_on_client();

-- Rebuilds the days from the entries (after a bulk load, or a TRUNCATE).
CREATE FUNCTION status_day_entries_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM status_day_entries;
    INSERT INTO status_day_entries (day, status, amount_cents, billable_minutes, minutes)
    SELECT e.work_date, c.status, SUM(e.amount_cents), SUM(CASE WHEN e.billable THEN e.minutes ELSE 0 END),
           SUM(e.minutes)
    FROM timesheet_entries e JOIN clients c ON c.id = e.client_id
    GROUP BY 1, 2;
$$;

CREATE FUNCTION status_day_entries_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM status_day_entries_rebuild();
    RETURN NULL;
END
$$;
CREATE TRIGGER status_day_entries_truncate AFTER TRUNCATE ON timesheet_entries
    FOR EACH STATEMENT EXECUTE FUNCTION status_day_entries_on_truncate();
CREATE TRIGGER status_day_entries_truncate AFTER TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION status_day_entries_on_truncate();

SELECT status_day_entries_rebuild();
