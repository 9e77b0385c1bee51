"""The audit log: who did what, when, from where, in the web app (issue 5)."""
