"""The audit app."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Append-only audit events; listens to Django's sign-in signals."""

    name = "needle_web.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from needle_web.audit import receivers  # noqa: F401  (connects the signal receivers)
