"""Shared model behaviour: timestamps and optimistic concurrency."""

from django.db import models, transaction
from django.db.models.expressions import Col


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
