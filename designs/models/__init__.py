"""Easel's data: projects (team workspaces) and everything that belongs to exactly one of them.

Public ids are UUIDs everywhere. Every row carries `project` so every query can be scoped to
the caller's project in one filter, whatever ids a caller sends or an LLM invents.

The models live by subject (projects, conversations, documents); import them from here.
"""

from designs.models.budgets import KeyLimits, ProjectLimits, Reservation
from designs.models.conversations import Assistant, IdempotencyKey, Message, Run, Thread
from designs.models.customizations import Customization, Template, TemplateVersion, Variant
from designs.models.documents import EXTENSIONS, Document, DocumentParent, MessageInput, document_upload_to
from designs.models.projects import ApiKey, Invitation, Membership, Project, ProviderCredential
from designs.models.review import AuditEntry, Comment, ReviewDecision, ReviewPolicy, ReviewStatus, Via
from designs.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "WebhookEvent",
    "WebhookEndpoint",
    "WebhookDelivery",
    "WebhookAttempt",
    "Reservation",
    "ProjectLimits",
    "KeyLimits",
    "EXTENSIONS",
    "ApiKey",
    "Assistant",
    "AuditEntry",
    "Comment",
    "Customization",
    "Document",
    "DocumentParent",
    "IdempotencyKey",
    "Invitation",
    "Membership",
    "Message",
    "MessageInput",
    "Project",
    "ProviderCredential",
    "ReviewDecision",
    "ReviewPolicy",
    "ReviewStatus",
    "Run",
    "Template",
    "TemplateVersion",
    "Thread",
    "Variant",
    "Via",
    "document_upload_to",
]
