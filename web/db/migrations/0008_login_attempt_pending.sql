-- A sign-in attempt is recorded before its password is checked, pending (succeeded NULL), in the
-- same locked step as the decision to check it; it counts as a failure until the check says
-- otherwise. So N concurrent attempts check at most the configured number of passwords, across
-- every app process (issue #19: 30 at once checked 15 before the lock).
ALTER TABLE login_attempts ALTER COLUMN succeeded DROP NOT NULL;
