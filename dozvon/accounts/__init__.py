"""People and tenants: projects, users and their roles, sessions, API tokens, the audit log."""
