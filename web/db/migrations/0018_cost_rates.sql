-- Cost rates (issue #20): what an hour of each person costs the agency, from a date on, for the
-- cost and gross margin of clients and people. Admins only: no partial a staff member can load
-- reads them. A person's cost rate on day d is the row with the latest from_date <= d; before the
-- first, none (their time costs nothing in the figures, and the pages say who has no cost rate).
CREATE TABLE user_cost_rates (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    from_date date NOT NULL,
    cents bigint NOT NULL CHECK (cents BETWEEN 0 AND 100000000),
    PRIMARY KEY (user_id, from_date)
);

-- Each entry keeps the cost rate in effect on its day, as it keeps its rate, so that the monthly
-- cost rollup below is exact and a month's cost is read, not recomputed from every entry. Unlike
-- its rate (what was invoiced), it follows a cost rate changed later from a day on or before it:
-- web/queries/costs.py prices those entries again.
ALTER TABLE timesheet_entries ADD COLUMN cost_rate_cents bigint NOT NULL DEFAULT 0
    CHECK (cost_rate_cents BETWEEN 0 AND 100000000);

CREATE FUNCTION cost_rate_on(person bigint, day date) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT cents FROM user_cost_rates
                     WHERE user_id = person AND from_date <= day ORDER BY from_date DESC LIMIT 1), 0)
$$;

CREATE FUNCTION timesheet_entries_cost_rate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.cost_rate_cents := cost_rate_on(NEW.user_id, NEW.work_date);
    RETURN NEW;
END
$$;
CREATE TRIGGER timesheet_entries_cost_rate BEFORE INSERT OR UPDATE OF user_id, work_date ON timesheet_entries
    FOR EACH ROW EXECUTE FUNCTION timesheet_entries_cost_rate();

-- An entry's cost, rounded half up to the cent as its amount is.
CREATE FUNCTION entry_cost_cents(minutes integer, cost_rate bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (minutes::bigint * cost_rate + 30) / 60;

-- Cost per client and month, kept on every write: the client's cost over whole months reads a row
-- a month; with it the time logged by people without a cost rate, which the pages name. Its own
-- table and trigger, apart from the revenue rollups' chain of functions.
CREATE TABLE client_month_costs (
    client_id bigint NOT NULL,
    month date NOT NULL,  -- the first day of the month
    cost_cents bigint NOT NULL DEFAULT 0,
    uncosted_minutes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, month)
);

CREATE FUNCTION client_month_costs_add(e timesheet_entries, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO client_month_costs AS r (client_id, month, cost_cents, uncosted_minutes)
    VALUES (e.client_id, date_trunc('month', e.work_date)::date, sign * entry_cost_cents(e.minutes, e.cost_rate_cents),
            CASE WHEN e.cost_rate_cents = 0 THEN sign * e.minutes ELSE 0 END)
    ON CONFLICT (client_id, month) DO UPDATE SET
        cost_cents = r.cost_cents + EXCLUDED.cost_cents,
        uncosted_minutes = r.uncosted_minutes + EXCLUDED.uncosted_minutes
$$;

CREATE FUNCTION client_month_costs_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM client_month_costs_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM client_month_costs_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_costs_rollup AFTER INSERT OR UPDATE OR DELETE ON timesheet_entries
    FOR EACH ROW EXECUTE FUNCTION client_month_costs_on_write();

-- Rebuilds the costs from the entries (after a bulk load with the triggers off, or a TRUNCATE).
CREATE FUNCTION client_month_costs_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM client_month_costs;
    INSERT INTO client_month_costs (client_id, month, cost_cents, uncosted_minutes)
    SELECT client_id, date_trunc('month', work_date)::date, SUM(entry_cost_cents(minutes, cost_rate_cents)),
           COALESCE(SUM(minutes) FILTER (WHERE cost_rate_cents = 0), 0)
    FROM timesheet_entries GROUP BY 1, 2;
$$;
-- Every entry so far has no cost rate: its time is uncosted.
SELECT client_month_costs_rebuild();

CREATE FUNCTION client_month_costs_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE client_month_costs;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_month_costs_truncate AFTER TRUNCATE ON timesheet_entries
    FOR EACH STATEMENT EXECUTE FUNCTION client_month_costs_on_truncate();
