"""Fixtures of the assistant's tests: the fake OpenAI-compatible server, configured."""

import pytest

from assistant.tests.fake_openai import FakeOpenAI, configure


@pytest.fixture
def fake_openai(settings):
    fake = FakeOpenAI()
    configure(settings, fake)
    yield fake
    fake.close()
