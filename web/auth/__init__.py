"""Who is asking, and what they may do: sessions, roles, CSRF, sign-in throttling."""
