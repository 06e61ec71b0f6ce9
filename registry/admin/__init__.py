"""Django admin for the register: every model, with history where the model keeps it,
one module per domain word (as in models/, api/ and forms/).

The admin is for superusers looking after the data; teams use the app and the API.
Its forms run the models' full_clean() and its writes that span rows call the same
services as the API, so a rule refused there is refused here, with the same message.
"""

from registry.admin import (  # noqa: F401  (each module registers its models)
    applications,
    baselines,
    business_functions,
    components,
    dependencies,
    failure_modes,
    identity,
    imports,
    incidents,
    recovery_tests,
    reference,
    reports,
    rollups,
    steps,
    teams,
    webhooks,
)
