"""Baseline pages: owners freeze and approve, everyone in the team sees the diff and
the reports, other teams get 404."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from registry.models import Baseline, FailureMode, Membership
from registry.services import baselines
from tests.factories import FailureModeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_owner_freezes_a_baseline_from_the_page(as_alice, register):
    url = f"/applications/{register.app.pk}/baselines/"
    page = as_alice.get(url).content.decode()
    assert "No baseline yet. Freeze the first one below" in page
    response = as_alice.post(url, {"title": "Q3 review", "notes": "Before go-live"})
    assert response.status_code == 302
    baseline = Baseline.objects.get()
    assert (baseline.number, baseline.title, baseline.notes) == (1, "Q3 review", "Before go-live")
    page = as_alice.get(url).content.decode()
    assert "Froze Rev 1: Q3 review." in page
    assert "Approve Rev 1" in page  # alice is the team's only owner


def test_a_title_is_required(as_alice, register):
    response = as_alice.post(f"/applications/{register.app.pk}/baselines/", {"title": ""})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Baseline.objects.exists()


def test_an_editor_sees_baselines_but_cannot_freeze_or_approve(as_bob, register, alice):
    baseline = baselines.freeze(application=register.app, user=alice, title="Q3 review")
    url = f"/applications/{register.app.pk}/baselines/"
    page = as_bob.get(url).content.decode()
    assert "Q3 review" in page and "Freeze a new revision" not in page
    assert "Approve Rev 1" not in page
    assert as_bob.post(url, {"title": "Mine"}).status_code == 403
    assert as_bob.post(f"/baselines/{baseline.pk}/approve/").status_code == 403
    assert Baseline.objects.count() == 1


def test_the_creator_is_told_another_owner_approves(as_alice, register, alice, team_a):
    Membership.objects.create(team=team_a, user=UserFactory(username="owen"), role="owner")
    baseline = baselines.freeze(application=register.app, user=alice, title="Q3 review")
    response = as_alice.post(f"/baselines/{baseline.pk}/approve/", follow=True)
    assert "You froze this baseline; another owner approves it: owen." in (
        response.content.decode()
    )
    baseline.refresh_from_db()
    assert not baseline.is_approved


def test_the_diff_page_shows_the_three_changes(as_victor, register, alice):
    baseline = baselines.freeze(application=register.app, user=alice, title="Q3 review")
    register.fm.severity = 9  # 7/4/2 → 9/4/2: RPN 56 → 72
    register.fm.save()
    FailureModeFactory(step=register.step, mode="Payment provider outage")
    removed = FailureModeFactory(step=register.step, mode="Gone soon")
    removed.delete()
    page = as_victor.get(f"/baselines/{baseline.pk}/diff/?against=current").content.decode()
    assert "Rev 1 → now" in page
    assert "1 added · 0 removed · 1 changed" in page
    assert "<del>56</del> → <strong>72</strong>" in page
    assert "Payment provider outage" in page


def test_another_teams_baseline_is_not_found(as_charlie, register, alice):
    baseline = baselines.freeze(application=register.app, user=alice, title="Q3 review")
    assert as_charlie.get(f"/baselines/{baseline.pk}/diff/").status_code == 404
    assert as_charlie.get(f"/baselines/{baseline.pk}/report.pdf").status_code == 404
    assert as_charlie.get(f"/applications/{register.app.pk}/baselines/").status_code == 404


def test_the_reports_are_stamped_with_the_revision_and_its_approval(as_victor, register, alice):
    baseline = baselines.approve(
        baselines.freeze(application=register.app, user=alice, title="Q3 review"), alice
    )
    stamp = f"Revision 1, approved by alice on {baseline.approved_at:%Y-%m-%d}"
    pdf = as_victor.get(f"/baselines/{baseline.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xlsx = as_victor.get(f"/baselines/{baseline.pk}/report.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.content))
    sheet = workbook["Baseline"]
    assert sheet["A2"].value == stamp
    assert sheet.oddHeader.center.text == stamp
    assert workbook["Changes since"].oddHeader.center.text == stamp
    modes = [row[2] for row in sheet.iter_rows(values_only=True)]
    assert "Primary database fails" in modes
    assert as_victor.get(f"/baselines/{baseline.pk}/report.doc").status_code == 404
    assert FailureMode.objects.count() == 2  # reading reports writes nothing


def test_the_baselines_page_makes_a_fixed_number_of_queries(
    as_alice, register, alice, fixed_queries
):
    baselines.freeze(application=register.app, user=alice, title="Rev one")

    def grow() -> None:
        for n in range(29):
            baselines.freeze(application=register.app, user=alice, title=f"Rev {n + 2}")

    fixed_queries(as_alice, f"/applications/{register.app.pk}/baselines/", grow)


def test_every_page_of_the_pdf_carries_the_revision_and_its_approval(as_victor, register, alice):
    """Sixty failure modes run over several pages: each names the revision."""
    for n in range(60):
        FailureModeFactory(step=register.step, mode=f"Failure {n}", effect="Users wait " * 8)
    baseline = baselines.approve(
        baselines.freeze(application=register.app, user=alice, title="Q3 review"), alice
    )
    stamp = f"Revision 1, approved by alice on {baseline.approved_at:%Y-%m-%d}"
    reader = PdfReader(io.BytesIO(as_victor.get(f"/baselines/{baseline.pk}/report.pdf").content))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 1
    assert all(stamp in text for text in pages)
