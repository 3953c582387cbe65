"""moto's S3 server on a free loopback port, so storage tests speak real HTTP to a fake S3."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from moto.server import ThreadedMotoServer

DUMMY_REGION = "us-east-1"
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # moto accepts any credentials

# Anything that could steer a client without explicit arguments towards a real AWS account.
_AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run moto's S3 server on 127.0.0.1 for the duration of the block; yield its endpoint URL.

    Dummy credentials are put in the environment meanwhile, so even a client built without
    explicit ones signs with throwaway keys rather than whatever the developer has configured.
    """
    with mock.patch.dict(os.environ):
        for name in _AWS_ENV_TO_CLEAR:
            os.environ.pop(name, None)
        os.environ["AWS_ACCESS_KEY_ID"] = DUMMY_ACCESS_KEY_ID
        os.environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_SECRET_ACCESS_KEY
        os.environ["AWS_DEFAULT_REGION"] = DUMMY_REGION
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        # Port 0: the OS picks a free port, so parallel test workers never clash.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()
