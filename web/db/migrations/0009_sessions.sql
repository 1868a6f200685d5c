-- Server-side sessions (issue #19): the cookie carries a random token; the server keeps its SHA-256
-- and can end the session, so signing out, a new password or a disabled account stop a copied
-- cookie at once. Ended sessions are kept (ended_at) as the record of who was signed in from where.
CREATE TABLE sessions (
    id text PRIMARY KEY,  -- hex SHA-256 of the cookie's token: a leaked table opens no session
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    address text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_active_by_user ON sessions (user_id, created_at DESC) WHERE ended_at IS NULL;
