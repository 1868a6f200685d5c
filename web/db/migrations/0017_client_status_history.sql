-- Status history (issue #20): a client's status from a day on. The active clients of a period are
-- those active on at least one day of it, and a client exists from its first row (its start): a
-- period before that counts it nowhere. clients.status stays the status now (the filters, the list
-- and the entry form read it): a change takes effect today or on a day gone by, never ahead and
-- never before the last change (web/queries/statuses.py), so the last row is the status now.
CREATE TABLE client_statuses (
    client_id bigint NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    from_date date NOT NULL,
    status text NOT NULL CHECK (status IN ('lead', 'active', 'paused', 'churned')),
    -- The day before the next change; NULL: it goes on. Kept by client_status_set, so that "active
    -- on a day of the period" is a filter on each row, not a window over every client's history
    -- (10 ms on dataset l, against 2).
    to_date date CHECK (to_date >= from_date),
    PRIMARY KEY (client_id, from_date)
);

-- A status from a day: one of the same day is replaced, and one that only repeats the status
-- before it (a change taken back the same day) is no change at all; then each run ends the day
-- before the next begins.
CREATE FUNCTION client_status_set(client bigint, day date, new_status text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO client_statuses (client_id, from_date, status) VALUES (client, day, new_status)
    ON CONFLICT (client_id, from_date) DO UPDATE SET status = EXCLUDED.status;
    DELETE FROM client_statuses s
    WHERE s.client_id = client AND s.from_date = day
      AND s.status = (SELECT p.status FROM client_statuses p
                      WHERE p.client_id = client AND p.from_date < day ORDER BY p.from_date DESC LIMIT 1);
    UPDATE client_statuses s
    SET to_date = (SELECT min(n.from_date) - 1 FROM client_statuses n WHERE n.client_id = client AND n.from_date > s.from_date)
    WHERE s.client_id = client;
$$;

-- Every client so far: its status now, since the day it was created (nothing earlier is known).
INSERT INTO client_statuses (client_id, from_date, status) SELECT id, created_at::date, status FROM clients;

-- A new client starts on the day it is created. A status saved without a date of its own (a script,
-- a test, a bulk edit) changes from today; the app writes a dated change before it saves the status,
-- which this then finds in place.
CREATE FUNCTION client_statuses_on_client() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_status text;
    last_day date;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO client_statuses (client_id, from_date, status) VALUES (NEW.id, NEW.created_at::date, NEW.status);
        RETURN NULL;
    END IF;
    SELECT status, from_date INTO last_status, last_day
    FROM client_statuses WHERE client_id = NEW.id ORDER BY from_date DESC LIMIT 1;
    IF last_status IS DISTINCT FROM NEW.status THEN
        PERFORM client_status_set(NEW.id, GREATEST(current_date, last_day), NEW.status);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_statuses_created AFTER INSERT ON clients
    FOR EACH ROW EXECUTE FUNCTION client_statuses_on_client();
CREATE TRIGGER client_statuses_changed AFTER UPDATE OF status ON clients
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION client_statuses_on_client();
