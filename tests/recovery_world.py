"""The worked recovery example of the register, in the database: Shop (Tier 1,
active/active in Ireland and Frankfurt, detection 300 s), step "Checkout" → front end
(recovery 60 s, both regions) → Orders DB (recovery 600 s, in Ireland, async replica in
Frankfurt with a 2 s lag, point-in-time recovery). Achievable: component RTO 900 s,
RPO 2 s; region RTO 300 s, RPO 2 s; data corruption RTO 900 s, RPO 1 s.

`nightly=True` gives the Orders DB only nightly backups, copied nowhere: losing
Ireland loses its data.
"""

from types import SimpleNamespace

from registry.choices import ComponentKind, Replication
from registry.models import DrStrategy, Region, Tier
from registry.services.reference_data import load_reference_data
from tests.factories import ApplicationFactory, ComponentFactory, DependencyFactory, StepFactory


def build_shop(team, *, nightly: bool = False) -> SimpleNamespace:
    load_reference_data()
    ireland, frankfurt = (
        Region.objects.get(code="eu-west-1"),
        Region.objects.get(code="eu-central-1"),
    )
    shop = ApplicationFactory(
        team=team,
        name="Shop",
        tier=Tier.objects.get(level=1),
        dr_strategy=DrStrategy.objects.get(code="active_active"),
        detection_time_seconds=300,
    )
    shop.regions.set([ireland, frankfurt])
    checkout = StepFactory(application=shop, order=1, name="Checkout")
    front_end = ComponentFactory(team=team, name="Front end", recovery_time_seconds=60)
    front_end.regions.set([ireland, frankfurt])
    store = {
        "replication": Replication.ASYNC,
        "replication_lag_seconds": 2,
        "point_in_time_recovery": True,
        "pitr_window_days": 7,
    }
    if nightly:
        store = {"backup_interval_seconds": 86400}
    orders = ComponentFactory(
        team=team,
        name="Orders DB",
        kind=ComponentKind.DATABASE,
        recovery_time_seconds=600,
        **store,
    )
    orders.regions.set([ireland])
    if not nightly:
        orders.replica_regions.set([frankfurt])
    DependencyFactory(step=checkout, component=front_end)
    DependencyFactory(step=None, dependant_component=front_end, component=orders)
    return SimpleNamespace(
        shop=shop,
        checkout=checkout,
        front_end=front_end,
        orders=orders,
        ireland=ireland,
        frankfurt=frankfurt,
    )
