"""A recompute pauses Python's cyclic garbage collector while it runs and always hands
it back as it found it: a worker left with the collector off would never free the
cycles its later work makes."""

import gc

import pytest
from django.core.management import call_command

from registry.analysis import resilience
from registry.analysis.findings import refresh_findings
from registry.models import Finding, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> Team:
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


@pytest.fixture
def collector_on():
    """Tests run with the collector on; it is put back on whatever a test does."""
    gc.enable()
    yield
    gc.enable()


def test_the_rules_run_with_the_collector_paused_and_it_is_on_again_after(
    demo, collector_on, monkeypatch
):
    seen = []
    rule = resilience.recovery_untested

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return rule(*args, **kwargs)

    monkeypatch.setattr(resilience, "recovery_untested", watched)
    assert refresh_findings(demo.pk) > 0
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(demo, collector_on):
    gc.disable()
    refresh_findings(demo.pk)
    assert not gc.isenabled()


def test_a_failing_recompute_turns_the_collector_back_on_and_keeps_the_findings(
    demo, collector_on, monkeypatch
):
    refresh_findings(demo.pk)
    before = list(Finding.objects.filter(team=demo).order_by("key").values_list("key", "message"))
    assert before

    def broken(*args, **kwargs):
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(resilience, "recovery_untested", broken)
    with pytest.raises(RuntimeError):
        refresh_findings(demo.pk)
    assert gc.isenabled()
    after = list(Finding.objects.filter(team=demo).order_by("key").values_list("key", "message"))
    assert after == before
