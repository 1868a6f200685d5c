-- Indexes for the dashboard's figures, chosen from EXPLAIN ANALYZE on the m dataset
-- (2,000 clients, 2M entries; see docs/decisions.md for the plans and timings).
-- Both are covering: the figures read only these columns, so the scans are index-only.

-- One client's entries in a period (client rows, sparklines, client figures).
CREATE INDEX timesheet_entries_client_date_idx
    ON timesheet_entries (client_id, work_date) INCLUDE (minutes, billable, amount_cents);

-- Everyone's entries in a period (stats cards, the trend chart, sorting the list by a figure).
CREATE INDEX timesheet_entries_date_idx
    ON timesheet_entries (work_date) INCLUDE (client_id, minutes, billable, amount_cents);
