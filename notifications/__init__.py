"""In-app inbox, email and SMS channels, and the outbox that feeds Celery (issue: async backbone)."""
