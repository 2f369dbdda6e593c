"""Shared test set-up: gevent patching first, then fixtures every area uses."""
import os

if not os.environ.get("FSCC_TEST_NO_GEVENT_PATCH"):
    # The engine runs on one gevent hub; tests that start it must see patched sockets.
    from gevent import monkey

    monkey.patch_all()

import pathlib  # noqa: E402

import pytest  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ESL_FIXTURES = FIXTURES / "esl"


@pytest.fixture
def esl_fixtures() -> pathlib.Path:
    """Directory of the real FreeSWITCH ESL transcripts (see tests/fixtures/esl/README.md)."""
    return ESL_FIXTURES
