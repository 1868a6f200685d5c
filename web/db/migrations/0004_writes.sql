-- Staff writes: optimistic locking, an audit trail, and cache versions for invalidation.

-- Optimistic locking: every update says which version it read; a stale version updates nothing.
ALTER TABLE clients ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE services ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE timesheet_entries ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1;

-- A staff member's week on the timesheet page.
CREATE INDEX timesheet_entries_user_date_idx ON timesheet_entries (user_id, work_date);

-- Who changed what, when, from what to what; written in the same transaction as the change.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    user_id bigint REFERENCES users (id),
    entity text NOT NULL CHECK (entity IN ('client', 'service', 'entry', 'user')),
    entity_id bigint NOT NULL,
    client_id bigint,  -- the client concerned, for the client page's history
    action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before jsonb,
    after jsonb
);
CREATE INDEX audit_log_client_idx ON audit_log (client_id, at DESC);

-- Cache versions: a write bumps the scopes it touches ('all', 'client:<id>', 'user:<id>', 'epoch')
-- in its transaction and notifies every app process (NOTIFY is delivered on commit). Cached partials
-- are keyed by the versions of the scopes they depend on, so after a write no process serves an
-- old figure, while partials of other scopes stay cached. See docs/caching.md.
CREATE SEQUENCE cache_version_seq;
CREATE TABLE cache_versions (
    scope text PRIMARY KEY,
    version bigint NOT NULL
);
