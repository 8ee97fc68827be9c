"""How bytes reach a client from a bucket: a redirect to a presigned URL (the default), through
Easel for a bucket clients cannot reach, or plain public URLs when the operator says so."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from designs.models import Assistant, Thread
from designs.payloads import document_payload
from designs.services.documents import document_create
from designs.services.images import inspect_image
from tests.documents import images


@pytest.fixture
def document(alpha, bucket_store):
    thread = Thread.objects.create(
        project=alpha.project, assistant=Assistant.objects.create(project=alpha.project, name="a")
    )
    data = images.png((24, 24), (9, 99, 199))
    return document_create(
        project=alpha.project, data=data, facts=inspect_image(data), thread=thread, operation="upload"
    )


def test_by_default_easel_redirects_to_a_short_lived_presigned_url(alpha, document, bucket_store):
    url = document_payload(document, "http://testserver")["metadata_"]["url"]

    response = alpha.client.get(url, headers={"X-API-Key": ""})

    location = response["Location"]
    assert response.status_code == 302 and location.startswith(f"{bucket_store.moto.endpoint}/{bucket_store.bucket}/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert f"{document.id}.png" in httpx.get(location).headers["content-disposition"]
    assert hashlib.sha256(httpx.get(location).content).hexdigest() == document.sha256


def test_stream_mode_sends_a_private_buckets_bytes_through_easel(alpha, document, settings):
    settings.EASEL_MEDIA_DELIVERY = "stream"
    url = document_payload(document, "http://testserver")["metadata_"]["url"]

    response = alpha.client.get(url, headers={"X-API-Key": ""})

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256


def test_public_mode_hands_out_the_buckets_unsigned_urls(document, bucket_store, settings):
    settings.EASEL_MEDIA_DELIVERY = "public"
    settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] = False
    settings.STORAGES = dict(settings.STORAGES)  # tell Django the storage changed

    meta = document_payload(document, "http://testserver")["metadata_"]

    assert meta["url"] == f"{bucket_store.moto.endpoint}/{bucket_store.bucket}/{document.file.name}"
    assert meta["url_expires_at"] is None and "Signature" not in meta["thumbnail_url"]
    assert httpx.get(meta["url"]).status_code == 403, "objects are private until the operator opens the bucket"
    bucket_store.moto.client().put_bucket_policy(
        Bucket=bucket_store.bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket_store.bucket}/*",
                    }
                ],
            }
        ),
    )
    assert hashlib.sha256(httpx.get(meta["url"]).content).hexdigest() == document.sha256
