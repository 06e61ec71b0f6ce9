"""An edited export imported back in a real browser: the dry run says what changes."""

import csv
import io

import pytest
from playwright.sync_api import expect

from registry.exports import stream_csv
from registry.models import FailureMode
from tests.browser.conftest import log_in, screenshot
from tests.factories import (
    ApplicationFactory,
    BusinessFunctionFactory,
    FailureModeFactory,
    StepFactory,
)

pytestmark = pytest.mark.browser


def test_the_dry_run_of_an_edited_export_lists_the_change(new_page, people, tmp_path):
    function = BusinessFunctionFactory(team=people, name="Sell")
    application = ApplicationFactory(team=people, name="Checkout", business_function=function)
    step = StepFactory(application=application, name="Pay")
    for mode in ("Card declined", "Provider down", "Timeout"):
        FailureModeFactory(step=step, mode=mode, severity=5, probability=4, detectability=3)
    exported = b"".join(stream_csv(FailureMode.objects.filter(team=people).order_by("id")))
    rows = list(csv.reader(io.StringIO(exported.decode())))
    rows[2][rows[0].index("severity")] = "8"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "edited.csv"
    path.write_text(out.getvalue())

    page = new_page()
    log_in(page, "bob")
    page.goto("/imports/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_label("Dry run").check()
    page.get_by_role("button", name="Upload").click()
    expect(
        page.get_by_text("0 failure modes would be created, 1 updated, 2 unchanged.")
    ).to_be_visible()
    expect(page.get_by_text("severity: 5 → 8")).to_be_visible()
    screenshot(page, "import-dry-run-updates")
    assert FailureMode.objects.filter(severity=8).count() == 0


def test_a_recovery_input_the_form_refuses_is_refused_on_its_row_and_column(
    new_page, people, tmp_path
):
    """A replication lag on a synchronous replica: the component form's own message."""
    path = tmp_path / "recovery.csv"
    path.write_text(
        "business_function,application,tier,step,mode,severity,probability,detectability,"
        "component,component_kind,component_replication,component_replication_lag_seconds\n"
        "Sell,Checkout,1,Pay,Lost writes,9,3,4,Orders DB,database,sync,2\n"
    )
    page = new_page()
    log_in(page, "bob")
    page.goto("/imports/")
    page.get_by_text("Which columns?").click()
    expect(page.get_by_text("component_replication_lag_seconds").first).to_be_visible()
    screenshot(page, "import-columns")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_label("Dry run").check()
    page.get_by_role("button", name="Upload").click()
    expect(
        page.get_by_text(
            "Give the p99 replication lag of an asynchronous replica; other replication has "
            "no lag."
        )
    ).to_be_visible()
    screenshot(page, "import-recovery-refused")
