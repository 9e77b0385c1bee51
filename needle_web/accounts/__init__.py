"""Accounts, roles and sign-in: who may use the web app, and as whom (issue 5)."""
