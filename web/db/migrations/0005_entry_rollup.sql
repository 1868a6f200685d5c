-- Monthly rollup of time entries per client, maintained on every write by a trigger, so that the
-- figures of whole months never scan entries. Exact: it sums amount_cents, which is already rounded
-- per entry. Periods that cut a month read that month's entries (web/queries/figures.py).
CREATE TABLE client_month_entries (
    client_id bigint NOT NULL,
    month date NOT NULL,  -- the first day of the month
    amount_cents bigint NOT NULL DEFAULT 0,
    billable_minutes bigint NOT NULL DEFAULT 0,
    minutes bigint NOT NULL DEFAULT 0,
    entries bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, month)
);
CREATE INDEX client_month_entries_month_idx
    ON client_month_entries (month) INCLUDE (client_id, amount_cents, billable_minutes, minutes);

CREATE FUNCTION client_month_entries_add(c bigint, d date, amount bigint, billable bigint, mins bigint, n bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO client_month_entries AS r (client_id, month, amount_cents, billable_minutes, minutes, entries)
    VALUES (c, date_trunc('month', d)::date, amount, billable, mins, n)
    ON CONFLICT (client_id, month) DO UPDATE SET
        amount_cents = r.amount_cents + EXCLUDED.amount_cents,
        billable_minutes = r.billable_minutes + EXCLUDED.billable_minutes,
        minutes = r.minutes + EXCLUDED.minutes,
        entries = r.entries + EXCLUDED.entries
$$;

CREATE FUNCTION client_month_entries_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM client_month_entries_add(OLD.client_id, OLD.work_date, -OLD.amount_cents,
            -(CASE WHEN OLD.billable THEN OLD.minutes ELSE 0 END), -OLD.minutes, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM client_month_entries_add(NEW.client_id, NEW.work_date, NEW.amount_cents,
            CASE WHEN NEW.billable THEN NEW.minutes ELSE 0 END, NEW.minutes, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_entries_rollup AFTER INSERT OR UPDATE OR DELETE ON timesheet_entries
    FOR EACH ROW EXECUTE FUNCTION client_month_entries_on_write();

CREATE FUNCTION client_month_entries_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE client_month_entries;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_entries_truncate AFTER TRUNCATE ON timesheet_entries
    FOR EACH STATEMENT EXECUTE FUNCTION client_month_entries_on_truncate();

-- Rebuilds the whole rollup from the entries (after a bulk load with the trigger off).
CREATE FUNCTION client_month_entries_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM client_month_entries;
    INSERT INTO client_month_entries (client_id, month, amount_cents, billable_minutes, minutes, entries)
    SELECT client_id, date_trunc('month', work_date)::date, SUM(amount_cents),
           SUM(CASE WHEN billable THEN minutes ELSE 0 END), SUM(minutes), count(*)
    FROM timesheet_entries GROUP BY 1, 2;
$$;
SELECT client_month_entries_rebuild();
