"""Reference data shared by every team: tiers, regions, DR strategies, rating scales,
and the failure-mode library. Loaded by `manage.py load_reference_data`, then editable."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from registry.choices import FailureCategory, RatingScaleName, TemplateComponentKind
from registry.jurisdictions import COUNTRIES
from registry.scoring import RATING_MAX, RATING_MIN

SECONDS_PER_YEAR = 365 * 24 * 3600

rating_validators = [MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)]
availability_validators = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def availability_field(**kwargs) -> models.DecimalField:
    """Availability as a percentage, e.g. 99.999."""
    return models.DecimalField(
        max_digits=7, decimal_places=4, validators=availability_validators, **kwargs
    )


def rating_range(field: str) -> models.Q:
    return models.Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX})


def availability_range(field: str) -> models.Q:
    return models.Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


class Tier(models.Model):
    """A criticality tier and its recovery objectives."""

    level = models.PositiveSmallIntegerField(
        unique=True, help_text="1 is the most critical tier; higher numbers are less critical."
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    rto_seconds = models.PositiveIntegerField(
        "RTO (seconds)", help_text="Recovery time objective: how long the service may be down."
    )
    rpo_seconds = models.PositiveIntegerField(
        "RPO (seconds)",
        help_text="Recovery point objective: how much data, measured in time, may be lost.",
    )
    availability_target = availability_field(help_text="Availability target in percent.")
    rpn_threshold = models.PositiveSmallIntegerField(
        "RPN threshold",
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Failure modes with an RPN above this need an action.",
    )
    review_interval_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)],
        help_text="How often each step's worksheet must be reviewed.",
    )
    disasters_excluded = models.BooleanField(
        default=False,
        help_text="Declared disasters do not count against the availability target.",
    )
    recovery_test_interval_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How often applications of the tier must pass a recovery test of a region "
        "loss and of data corruption; empty when the tier requires none.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1), name="%(app_label)s_%(class)s_level_positive"
            ),
            models.CheckConstraint(
                condition=availability_range("availability_target"),
                name="%(app_label)s_%(class)s_availability_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(rpn_threshold__gte=1, rpn_threshold__lte=1000),
                name="%(app_label)s_%(class)s_rpn_threshold_range",
            ),
            models.CheckConstraint(
                condition=models.Q(recovery_test_interval_days__isnull=True)
                | models.Q(recovery_test_interval_days__gte=1),
                name="%(app_label)s_%(class)s_recovery_test_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def yearly_downtime_budget_seconds(self) -> float:
        """Downtime a year that the availability target allows."""
        return float(100 - self.availability_target) / 100 * SECONDS_PER_YEAR


class Region(models.Model):
    """A cloud region and the country its data is kept in (which says the jurisdictions
    it falls under: a region in IE is in the EU and the EEA)."""

    code = models.SlugField(max_length=40, unique=True, help_text="e.g. eu-west-1")
    name = models.CharField(max_length=100)
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",
        help_text="ISO 3166-1 alpha-2 code of the country its data is kept in, e.g. IE. "
        "Empty only where an older free-text jurisdiction could not be mapped.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__in=["", *sorted(COUNTRIES)]),
                name="%(app_label)s_%(class)s_country_code",
                violation_error_message="Use an ISO 3166-1 alpha-2 country code, e.g. IE.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.country = self.country.strip().upper()
        if self.country and self.country not in COUNTRIES:
            raise ValidationError(
                {
                    "country": f"“{self.country}” is not an ISO 3166-1 alpha-2 country code. "
                    "Accepted: " + ", ".join(sorted(COUNTRIES)) + "."
                }
            )


class DrStrategy(models.Model):
    """A disaster-recovery strategy and the best RTO/RPO it can achieve."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    cost_rank = models.PositiveSmallIntegerField(unique=True, help_text="1 is the cheapest.")
    best_rto_seconds = models.PositiveIntegerField("best achievable RTO (seconds)")
    best_rpo_seconds = models.PositiveIntegerField("best achievable RPO (seconds)")
    multi_region = models.BooleanField(help_text="Runs in more than one region.")
    serves_all_regions = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Serves from all its regions at once (active/active): only then do a "
        "component's regions count as parallel replicas. Otherwise a second region "
        "restores service after a failover.",
    )
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["cost_rank"]
        verbose_name = "DR strategy"
        verbose_name_plural = "DR strategies"

    def __str__(self) -> str:
        return self.name

    def meets(self, rto_seconds: int, rpo_seconds: int) -> bool:
        return self.best_rto_seconds <= rto_seconds and self.best_rpo_seconds <= rpo_seconds


class RatingScale(models.Model):
    """What each 1–10 rating means, shown beside every rating input."""

    scale = models.CharField(max_length=20, choices=RatingScaleName.choices)
    rating = models.PositiveSmallIntegerField(validators=rating_validators)
    label = models.CharField(max_length=60)
    description = models.TextField()
    # The numbers incidents are held against (registry.analysis.evidence).
    min_per_year = models.DecimalField(
        "from (per year)",
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Probability only: the observed frequency (occurrences a year) from "
        "which this rating applies; the highest rating whose lower bound is reached wins.",
    )
    max_per_year = models.DecimalField(
        "below (per year)",
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Probability only: the frequency this band ends below; empty for the top.",
    )
    max_detect_seconds = models.PositiveIntegerField(
        "detected within (seconds)",
        null=True,
        blank=True,
        help_text="Detectability only: the longest median time to detect this rating "
        "allows; the lowest rating that allows the observed median wins; empty for "
        "no limit.",
    )

    class Meta:
        ordering = ["scale", "rating"]
        constraints = [
            models.UniqueConstraint(
                fields=["scale", "rating"], name="%(app_label)s_%(class)s_unique_scale_rating"
            ),
            models.CheckConstraint(
                condition=rating_range("rating"), name="%(app_label)s_%(class)s_rating_range"
            ),
            models.CheckConstraint(
                condition=models.Q(min_per_year__isnull=True)
                | models.Q(max_per_year__isnull=True)
                | models.Q(max_per_year__gt=models.F("min_per_year")),
                name="%(app_label)s_%(class)s_frequency_band",
                violation_error_message="A band ends above where it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(min_per_year__isnull=True) | models.Q(min_per_year__gte=0),
                name="%(app_label)s_%(class)s_frequency_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.rating}: {self.label}"


class FailureModeTemplate(models.Model):
    """A common failure mode from the library, offered when filling in a step."""

    component_kind = models.CharField(max_length=20, choices=TemplateComponentKind.choices)
    failure_category = models.CharField(max_length=40, choices=FailureCategory.choices)
    mode = models.CharField(max_length=200)
    effect = models.TextField()
    cause = models.TextField()
    prevention_controls = models.TextField(blank=True)
    detection_controls = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(validators=rating_validators)
    probability = models.PositiveSmallIntegerField(validators=rating_validators)
    detectability = models.PositiveSmallIntegerField(validators=rating_validators)

    class Meta:
        ordering = ["component_kind", "mode"]
        verbose_name = "failure mode template"
        constraints = [
            models.UniqueConstraint(
                fields=["component_kind", "mode"], name="%(app_label)s_%(class)s_unique_kind_mode"
            ),
            *[
                models.CheckConstraint(
                    condition=rating_range(name), name=f"%(app_label)s_%(class)s_{name}_range"
                )
                for name in ("severity", "probability", "detectability")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.mode} ({self.get_component_kind_display()})"
