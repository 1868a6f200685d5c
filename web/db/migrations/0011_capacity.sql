-- Capacity (issue #20): the hours a week each person is there to work, from a date on. A person's
-- capacity on day d is the row with the latest from_date <= d; before their first row they have
-- none, so hiring someone today adds nothing to last year's capacity. Rows are few (a person has a
-- handful in a career): every read takes them all.
CREATE TABLE user_capacity (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    from_date date NOT NULL,
    weekly_minutes integer NOT NULL CHECK (weekly_minutes BETWEEN 0 AND 10080),
    PRIMARY KEY (user_id, from_date)
);

-- Everyone there today: 40 hours a week since they joined, or since their first time entry when
-- that is earlier (accounts loaded with past time). Disabled accounts have none from today on.
INSERT INTO user_capacity (user_id, from_date, weekly_minutes)
SELECT u.id, LEAST(u.created_at::date, (SELECT min(e.work_date) FROM timesheet_entries e WHERE e.user_id = u.id)), 2400
FROM users u;
INSERT INTO user_capacity (user_id, from_date, weekly_minutes)
SELECT id, current_date, 0 FROM users WHERE disabled
ON CONFLICT (user_id, from_date) DO UPDATE SET weekly_minutes = 0;

