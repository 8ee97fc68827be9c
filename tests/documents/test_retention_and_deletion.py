"""Deleting documents, threads and projects, retention of unused uploads and orphaned files,
on the filesystem and on S3 (in-process, against the moto server)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from designs.models import Assistant, Document, Message, Project, Thread
from designs.services.documents import (
    document_create,
    document_delete,
    documents_purge_unreferenced,
    storage_orphans_purge,
)
from designs.services.images import inspect_image
from designs.services.messages import message_create
from designs.services.projects import project_delete
from designs.services.threads import thread_delete
from tests.documents import images


def make_thread(project: Project) -> Thread:
    return Thread.objects.create(project=project, assistant=Assistant.objects.create(project=project, name="a"))


def make(thread: Thread, shade: int, *, days_old: int = 0, **fields) -> Document:
    data = images.png((10, 10), (shade, shade, 0))
    fields.setdefault("operation", "upload")
    document = document_create(project=thread.project, data=data, facts=inspect_image(data), thread=thread, **fields)
    if days_old:
        Document.objects.filter(id=document.id).update(created_at=timezone.now() - timedelta(days=days_old))
    return document


def test_a_document_delete_removes_its_file_and_thumbnail_unless_shared(
    alpha, local_store, django_capture_on_commit_callbacks
):
    thread = make_thread(alpha.project)
    first, twin = make(thread, 1), make(thread, 1)
    assert first.file.name == twin.file.name and len(local_store.files()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=first)
    assert len(local_store.files()) == 2 and twin.file.storage.exists(twin.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=twin)
    assert local_store.files() == []


def test_deleting_a_thread_keeps_identical_bytes_another_thread_still_uses(
    alpha, local_store, django_capture_on_commit_callbacks
):
    doomed, kept = make_thread(alpha.project), make_thread(alpha.project)
    make(doomed, 5)
    make(doomed, 6)
    survivor = make(kept, 6)

    with django_capture_on_commit_callbacks(execute=True):
        thread_delete(thread=doomed)

    assert sorted(local_store.files()) == sorted([survivor.file.name, survivor.thumbnail.name])


def test_deleting_a_project_deletes_its_documents_and_every_file_under_it(
    alpha, bravo, local_store, django_capture_on_commit_callbacks
):
    ours, theirs = make_thread(alpha.project), make_thread(bravo.project)
    original = make(ours, 7)
    make(ours, 8, operation="edit", parent=original)
    same_bytes_elsewhere = make(theirs, 7)

    with django_capture_on_commit_callbacks(execute=True):
        project_delete(project=alpha.project)

    assert not Project.objects.filter(id=alpha.project.id).exists()
    assert not Document.objects.filter(project_id=alpha.project.id).exists()
    assert local_store.files(f"projects/{alpha.project.id}/") == []
    assert sorted(local_store.files()) == sorted([same_bytes_elsewhere.file.name, same_bytes_elsewhere.thumbnail.name])


def test_deleting_a_document_a_message_carries_keeps_the_message_and_its_thread_readable(
    alpha, local_store, django_capture_on_commit_callbacks
):
    thread = make_thread(alpha.project)
    kept, doomed = make(thread, 1), make(thread, 2)
    message = message_create(thread, role="user", content="edit these", inputs=[doomed, kept], direct_edit=True)

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=doomed)

    message.refresh_from_db()
    assert message.input_documents() == [kept], "only the link went with the document"
    response = alpha.client.get(f"/api/threads/{thread.id}")
    assert response.status_code == 200, response.content
    [shown] = response.json()["messages"]
    assert [a["document_id"] for a in shown["attachments"]] == [str(kept.id)]


def test_retention_purges_only_old_thread_uploads_that_nothing_uses(
    alpha, local_store, settings, django_capture_on_commit_callbacks
):
    settings.EASEL_UPLOAD_RETENTION_DAYS = 30
    thread = make_thread(alpha.project)
    unused = make(thread, 1, days_old=31)
    recent = make(thread, 2, days_old=3)
    edited = make(thread, 3, days_old=40)
    make(thread, 4, operation="edit", parent=edited)
    message = Message.objects.create(project=alpha.project, thread=thread, role="user", content="see this")
    attached = make(thread, 5, days_old=40, message=message)
    listed = make(thread, 6, days_old=40)
    message_create(thread, role="user", content="this too", inputs=[listed])
    generated = make(thread, 7, days_old=40, operation="generate")
    brand = Assistant.objects.create(project=alpha.project, name="brand")
    data = images.png((10, 10), (8, 8, 8))
    kit = document_create(
        project=alpha.project, data=data, facts=inspect_image(data), thread=None, assistant=brand, operation="upload"
    )
    Document.objects.filter(id=kit.id).update(created_at=timezone.now() - timedelta(days=90))

    with django_capture_on_commit_callbacks(execute=True):
        purged = documents_purge_unreferenced()

    assert purged == 1 and not Document.objects.filter(id=unused.id).exists()
    assert set(
        Document.objects.filter(
            id__in=[recent.id, edited.id, attached.id, listed.id, generated.id, kit.id]
        ).values_list("id", flat=True)
    ) == {recent.id, edited.id, attached.id, listed.id, generated.id, kit.id}
    assert not [name for name in local_store.files() if unused.sha256 in name]


def test_retention_is_off_by_default(alpha, local_store, settings):
    assert settings.EASEL_UPLOAD_RETENTION_DAYS == 0
    make(make_thread(alpha.project), 1, days_old=3650)

    assert documents_purge_unreferenced() == 0 and Document.objects.count() == 1


def test_beat_runs_the_retention_task_which_calls_the_services(
    alpha, media_dir, settings, django_capture_on_commit_callbacks
):
    from project.celery import app
    from workers.tasks import purge_unreferenced_uploads_task

    schedule = settings.CELERY_BEAT_SCHEDULE["purge-unreferenced-uploads"]
    assert schedule["task"] == purge_unreferenced_uploads_task.name in app.tasks
    settings.EASEL_UPLOAD_RETENTION_DAYS = 1
    make(make_thread(alpha.project), 1, days_old=2)

    with django_capture_on_commit_callbacks(execute=True):
        result = purge_unreferenced_uploads_task.apply().get()

    assert result == {"uploads": 1, "orphan_files": 0} and media_dir.files() == []


def test_files_no_document_uses_are_swept_after_a_grace_period(alpha, local_store):
    kept = make(make_thread(alpha.project), 1)
    stray = default_storage.save(f"projects/{alpha.project.id}/images/{'0' * 64}.png", ContentFile(images.png()))
    ghost = default_storage.save("projects/00000000-0000-0000-0000-000000000000/images/x.png", ContentFile(b"x"))

    assert storage_orphans_purge() == 0, "too new: it may belong to a creation in flight"
    swept = storage_orphans_purge(now=timezone.now() + timedelta(hours=2))

    assert swept == 2 and stray not in local_store.files() and ghost not in local_store.files()
    assert sorted(local_store.files()) == sorted([kept.file.name, kept.thumbnail.name])
