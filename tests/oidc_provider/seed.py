"""Run in the provider's process: `python -m django shell -c` with this file's code.
Creates (or updates) the client application and the user with the given groups."""

import json
import os

from django.contrib.auth.models import Group, User
from oauth2_provider.models import Application

spec = json.loads(os.environ["OIDC_PROVIDER_SEED"])
if spec.get("client"):
    Application.objects.update_or_create(
        client_id=spec["client"]["id"],
        defaults={
            "name": "FMEA register",
            "client_secret": spec["client"]["secret"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": spec["client"]["redirect_uri"],
            "skip_authorization": True,
            "algorithm": Application.RS256_ALGORITHM,
            "hash_client_secret": False,
        },
    )
for person in spec.get("users", []):
    user, _ = User.objects.get_or_create(username=person["username"])
    user.email = person["email"]
    user.set_password(person["password"])
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in person["groups"]])
