"""Writes that span several rows, as plain keyword-only functions.

Forms, serializers, the admin, management commands and tasks call these; the services
themselves never import an interface (views, API, admin) or a task: the caller queues.
"""
