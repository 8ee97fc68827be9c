"""Rows as a finished (or running) turn leaves them, made in-process for page tests."""

from __future__ import annotations

import io

from django.utils import timezone
from PIL import Image

from designs.models import Document, Message, Project, Run, Thread
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.services.messages import message_create
from designs.services.threads import assistant_default, thread_create


def png(colour=(200, 40, 40), size=(96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def new_thread(project: Project) -> Thread:
    return thread_create(project=project, assistant=assistant_default(project=project))


def turn(
    thread: Thread,
    prompt: str,
    *,
    status: str = Run.Status.COMPLETED,
    reply: str = "Here it is.",
    image: bool = True,
    parent: Document | None = None,
    model: str = "easel-local-painter",
    colour=(200, 40, 40),
) -> tuple[Run, Document | None]:
    """A user message, its run and (when finished) the reply, with one image unless image=False."""
    user = message_create(thread, role=Message.Role.USER, content=prompt, inputs=[parent] if parent else ())
    run = Run.objects.create(
        project=thread.project,
        thread=thread,
        assistant=thread.assistant,
        user_message=user,
        status=status,
        image_generation=True,
        image_provider="local",
        image_model=model,
        llm_provider="local",
        llm_model="easel-local-agent",
    )
    user.run = run
    user.save(update_fields=["run"])
    document = None
    if image:
        data = png(colour)
        document = document_create(
            project=thread.project,
            data=data,
            facts=inspect_image(data),
            thread=thread,
            run=run,
            operation=Document.Operation.EDIT if parent else Document.Operation.GENERATE,
            prompt=prompt,
            parent=parent,
            model_provider="local",
            model_name=model,
            tool_call_id="call_1",
        )
    if run.is_finished:
        message = message_create(
            thread,
            run=run,
            role=Message.Role.ASSISTANT,
            content=reply,
            status=Message.Status.COMPLETED,
            model_provider="local",
            model_name="easel-local-agent",
            metadata={"run_id": str(run.id)},
        )
        Run.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        if document:
            Document.objects.filter(pk=document.pk).update(message=message)
    return run, document
