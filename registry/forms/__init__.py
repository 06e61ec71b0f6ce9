"""Browser forms, one module per domain word (as in models/, api/ and admin/)."""

from registry.forms.actions import ActionForm, complete_action
from registry.forms.applications import ApplicationForm
from registry.forms.base import IdsField, ScopedModelForm, VersionedForm, VersionForm
from registry.forms.business_functions import BusinessFunctionForm
from registry.forms.components import ComponentForm
from registry.forms.dependencies import DependencyForm
from registry.forms.failure_modes import FailureModeForm, LibraryFilterForm, LibraryForm
from registry.forms.steps import StepForm

__all__ = [
    "ActionForm",
    "ApplicationForm",
    "BusinessFunctionForm",
    "ComponentForm",
    "DependencyForm",
    "FailureModeForm",
    "IdsField",
    "LibraryFilterForm",
    "LibraryForm",
    "ScopedModelForm",
    "StepForm",
    "VersionForm",
    "VersionedForm",
    "complete_action",
]
