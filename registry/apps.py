from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "FMEA risk register"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from registry.analysis import signals
        from registry.views import invitations  # noqa: F401 (announces them on signing in)
        from registry.webhooks import signals as webhook_signals

        signals.connect()
        webhook_signals.connect()
