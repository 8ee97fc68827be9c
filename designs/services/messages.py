"""Messages: the one place a message is created (its `seq` allocated) and its inputs written.

A thread's messages are ordered by `seq`, the thread's highest plus one. Nothing here locks:
a turn holds the thread's row lock while it stores the user's message (`thread_get(...,
for_update=True)`), and a run's own messages are written by the run alone (a thread has at most
one run in progress), so the callers' transactions stay exactly what they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import transaction
from django.db.models import Max

from designs.models import Document, Message, MessageInput, Run, Thread


def next_message_seq(thread: Thread) -> int:
    current = Message.objects.filter(thread=thread).aggregate(top=Max("seq"))["top"]
    return (current or 0) + 1


def message_create(
    thread: Thread,
    *,
    role: str,
    content: str = "",
    run: Run | None = None,
    status: str = Message.Status.COMPLETED,
    metadata: dict[str, Any] | None = None,
    model_provider: str | None = None,
    model_name: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    inputs: Sequence[Document] = (),
    direct_edit: bool = False,
    run_id: Any = None,
    first: bool = False,
) -> Message:
    """Store a message at the end of `thread`, with `inputs` (see `message_inputs_add`).

    Without inputs it is one INSERT in the caller's transaction (or none), as it always was.
    `first`: the thread was created in this transaction, so this is message 1 (no query for
    the end of the thread). `run_id`: the run this message will belong to, when the run is
    created after it in the same transaction (the key is checked at commit).
    """
    with transaction.atomic() if inputs else nullcontext():
        message = Message.objects.create(
            project_id=thread.project_id,
            thread=thread,
            **({"run": run} if run is not None else {"run_id": run_id}),
            role=role,
            content=content,
            status=status,
            metadata=metadata or {},
            model_provider=model_provider,
            model_name=model_name,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            seq=1 if first else next_message_seq(thread),
        )
        if inputs:
            message_inputs_add(message, inputs, direct_edit=direct_edit)
    return message


def message_inputs_add(
    message: Message, documents: Sequence[Document], *, direct_edit: bool, mask: Document | None = None
) -> list[MessageInput]:
    """Write the documents a user message carries, in order (position 0 first), once per message.

    In a direct edit (operation=generate_image) the first document is the image the model edits
    (`source`) and any further ones are `reference`s. In a chat turn the LLM sees every image and
    edits one only by naming its document_id, so each is a `reference`. Documents must be of the
    message's project (ValueError otherwise); a document named twice is carried once. `mask`,
    the area an edit of the first document may change, comes last with the role `mask`.
    """
    unique: list[Document] = []
    for document in documents:
        if document.project_id != message.project_id:
            raise ValueError(f"document {document.id} is not in project {message.project_id}")
        if all(document.id != seen.id for seen in unique):
            unique.append(document)
    rows = [
        MessageInput(
            project_id=message.project_id,
            message=message,
            document=document,
            position=position,
            role=MessageInput.Role.SOURCE if direct_edit and position == 0 else MessageInput.Role.REFERENCE,
        )
        for position, document in enumerate(unique)
    ]
    if mask is not None and mask.project_id == message.project_id and all(mask.id != d.id for d in unique):
        rows.append(
            MessageInput(
                project_id=message.project_id,
                message=message,
                document=mask,
                position=len(rows),
                role=MessageInput.Role.MASK,
            )
        )
    return MessageInput.objects.bulk_create(rows)


def edit_source(message: Message) -> Document | None:
    """The image a direct edit changes: the message's first `source` input, or None."""
    sources = message.input_documents(role=MessageInput.Role.SOURCE)
    return sources[0] if sources else None
