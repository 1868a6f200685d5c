-- Dated hourly rates (issue #20): a client's and a person's rate change from a day on, as retainer
-- prices do (migration 0012, web/dated.py). A time entry takes the rate in effect on its date:
-- service rate, else the client's, else the person's. Entries keep the rate they were made with,
-- so a change alters no figure already shown; it prices time logged afterwards, for any day.
ALTER TABLE clients ADD COLUMN rate_changes jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rate_changes) = 'array');
ALTER TABLE users ADD COLUMN rate_changes jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rate_changes) = 'array');
