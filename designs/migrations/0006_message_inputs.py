"""A user message's documents become rows (MessageInput) instead of the JSON list `attachment_ids`.

Forward: every id in `attachment_ids` that is a UUID of an existing document of the message's own
project becomes an input, in list order (position 0 first, a repeated id once). In a direct edit
(the message's run has operation=generate_image) the first is the `source` the image model edits
and the rest are `reference`s; in a chat turn every input is a `reference` (the LLM sees them all
and edits one only by naming it). Anything else in the list is dropped, as reads already ignored it.
Backward: the inputs, in order, fill the list again.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

BATCH = 500


def attachments_to_inputs(apps, schema_editor):
    Message = apps.get_model("designs", "Message")
    MessageInput = apps.get_model("designs", "MessageInput")
    Document = apps.get_model("designs", "Document")
    Run = apps.get_model("designs", "Run")
    rows = []
    messages = Message.objects.exclude(attachment_ids=[]).only("id", "project_id", "attachment_ids")
    for message in messages.iterator(chunk_size=BATCH):
        ids = _uuids(message.attachment_ids)
        found = set(Document.objects.filter(project_id=message.project_id, id__in=ids).values_list("id", flat=True))
        kept = [i for i in ids if i in found]
        if not kept:
            continue
        operations = Run.objects.filter(user_message_id=message.id).values_list("operation", flat=True)
        direct = "generate_image" in set(operations)
        rows += [
            MessageInput(
                project_id=message.project_id,
                message_id=message.id,
                document_id=document_id,
                position=position,
                role="source" if direct and position == 0 else "reference",
            )
            for position, document_id in enumerate(kept)
        ]
        if len(rows) >= BATCH:
            MessageInput.objects.bulk_create(rows)
            rows = []
    MessageInput.objects.bulk_create(rows)


def _uuids(raw):
    """The list's valid UUIDs, in order, each once."""
    out = []
    for item in raw if isinstance(raw, list) else []:
        try:
            value = uuid.UUID(str(item))
        except ValueError:
            continue
        if value not in out:
            out.append(value)
    return out


def inputs_to_attachments(apps, schema_editor):
    Message = apps.get_model("designs", "Message")
    MessageInput = apps.get_model("designs", "MessageInput")
    lists = {}
    for message_id, document_id in MessageInput.objects.order_by("message_id", "position").values_list(
        "message_id", "document_id"
    ):
        lists.setdefault(message_id, []).append(str(document_id))
    for message_id, ids in lists.items():
        Message.objects.filter(id=message_id).update(attachment_ids=ids)


class Migration(migrations.Migration):
    dependencies = [
        ("designs", "0005_invitations_run_key_attachments"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageInput",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "role",
                    models.CharField(
                        choices=[("source", "Source"), ("reference", "Reference"), ("mask", "Mask")],
                        default="reference",
                        max_length=16,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="message_inputs",
                        to="designs.document",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="inputs", to="designs.message"
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="designs.project"
                    ),
                ),
            ],
            options={
                "ordering": ["position"],
                "constraints": [
                    models.UniqueConstraint(fields=("message", "position"), name="one_input_per_position"),
                    models.UniqueConstraint(fields=("message", "document"), name="one_input_per_document"),
                ],
            },
        ),
        migrations.RunPython(attachments_to_inputs, inputs_to_attachments),
        migrations.RemoveField(model_name="message", name="attachment_ids"),
    ]
