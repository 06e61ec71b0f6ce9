"""Shared model behaviour: timestamps, optimistic concurrency, and constraint
violations answered on the field they concern."""

from functools import cache
from typing import ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.db.models.expressions import Col


@cache  # asked on every sorted list page; a generated column's answer takes resolving it
def may_be_empty(field: models.Field) -> bool:
    """Whether the column can hold NULL. A generated column (the revised RPN, say) is
    declared without `null` but is empty when a column it is computed from is; where
    the columns cannot be told, it may be."""
    if field.null:
        return True
    if not isinstance(field, models.GeneratedField):
        return False
    resolved = field.expression.resolve_expression(field._query, allow_joins=False)
    sources = [node.target for node in resolved.flatten() if isinstance(node, Col)]
    return not sources or any(source.null for source in sources)


class StaleEditError(Exception):
    """Someone else saved the row since this copy of it was read."""

    def __init__(self, instance: models.Model, expected_version: int) -> None:
        self.instance = instance
        self.expected_version = expected_version
        super().__init__(
            f"{instance._meta.verbose_name.capitalize()} {instance.pk} was changed by someone "
            f"else since version {expected_version} was read."
        )


class ConstraintFieldsMixin:
    """Reports each violated constraint on the field a user would correct.

    Every interface (forms, the API's serializers, the admin) runs the model's
    full_clean(), so a constraint's `violation_error_message` is the one wording of its
    rule everywhere, and `constraint_fields` says once where it shows: Django would put
    a rule over several fields (a name unique in its team, say) among the non-field
    errors. Keys are constraint names without their "<app>_<model>_" prefix.
    """

    constraint_fields: ClassVar[dict[str, tuple[str, ...]]] = {}

    def validate_constraints(self, exclude=None) -> None:
        # Django's own loop (Model.validate_constraints), with the error's field looked
        # up by constraint; Constraint.validate() is the public part it relies on.
        using = router.db_for_write(type(self), instance=self)
        prefix = f"{self._meta.app_label}_{self._meta.model_name}_"
        errors: dict[str, list[ValidationError]] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    for field in self.error_fields(constraint, error, prefix):
                        errors.setdefault(field, []).append(error)
        if errors:
            raise ValidationError(errors)

    def error_fields(
        self, constraint: models.BaseConstraint, error: ValidationError, prefix: str
    ) -> tuple[str, ...]:
        fields = self.constraint_fields.get(constraint.name.removeprefix(prefix))
        if fields:
            return fields
        unique_fields = getattr(constraint, "fields", ())
        if error.code == "unique" and len(unique_fields) == 1:
            return (unique_fields[0],)  # as Django does
        return (NON_FIELD_ERRORS,)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record last changed.")

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """A row with a version number that every save increases.

    Saving an instance whose version is no longer the stored one raises StaleEditError
    instead of overwriting the newer row: the UPDATE carries `WHERE version = <read>`,
    so two concurrent writers cannot both win, on any database.
    """

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Increases on every change; used as the ETag."
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        if not adding:
            self.version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        try:
            # A savepoint, so that a refused save leaves the caller's transaction usable.
            with transaction.atomic():
                super().save(*args, **kwargs)
        except StaleEditError:
            self.version -= 1
            raise

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args):
        expected = self.version - 1
        updated = super()._do_update(
            base_qs.filter(version=expected),
            using,
            pk_val,
            values,
            update_fields,
            forced_update,
            *args,
        )
        if not updated and base_qs.filter(pk=pk_val).exists():
            raise StaleEditError(self, expected)
        return updated
