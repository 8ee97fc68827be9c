"""A real S3-compatible server for tests: moto's standalone server on a loopback port.

Easel talks to it over HTTP through django-storages exactly as it would to AWS or MinIO;
nothing is patched in-process. Tests use boto3 only to make buckets and look inside them.
"""

from __future__ import annotations

import subprocess
import uuid

import boto3
import httpx

from tests.support.processes import BIN, free_port, stop_process, wait_for

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "easel-test", "aws_secret_access_key": "easel-test-secret"}


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._up, 30, "moto_server")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("moto_server exited; is moto[server] installed (requirements-dev.txt)?")
        try:
            return httpx.get(self.endpoint, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def new_bucket(self) -> str:
        name = f"easel-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def env(self, bucket: str) -> dict[str, str]:
        """What an operator puts in .env to point Easel at this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def stop(self) -> None:
        stop_process(self.process)
