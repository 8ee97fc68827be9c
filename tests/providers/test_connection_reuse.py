"""Provider calls share the process's connection pool: the next call to a host reuses the last
call's connection (no new TCP or TLS handshake before a turn's first token), and a call ending
closes its client, never the pool."""

from __future__ import annotations

from tests.fakes.openai import FakeOpenAI
from workers.providers.base import ChatMessage, ChatRequest, TextDelta
from workers.providers.openai import OpenAIChat


def hello() -> ChatRequest:
    return ChatRequest(model="gpt-4o-mini", messages=(ChatMessage(role="user", content="hello"),))


def text_of(chat: OpenAIChat) -> str:
    return "".join(e.text for e in chat.stream(hello()) if isinstance(e, TextDelta))


def test_three_streamed_turns_to_one_provider_use_one_connection(openai_fake: FakeOpenAI, openai_chat: OpenAIChat):
    answers = [text_of(openai_chat) for _ in range(3)]
    assert all(answers) and len(openai_fake.requests) == 3
    assert openai_fake.httpd.connections_accepted == 1


def test_a_stopped_provider_is_reached_again_on_a_new_connection(openai_settings, openai_chat: OpenAIChat):
    with FakeOpenAI() as first:
        chat = OpenAIChat(openai_settings.__class__(api_key="sk-test", base_url=f"{first.origin}/v1"))
        assert text_of(chat)
    # The kept connection is dead now; a new server (maybe on the same port) gets a new one.
    with FakeOpenAI(port=first.port) as second:
        chat = OpenAIChat(openai_settings.__class__(api_key="sk-test", base_url=f"{second.origin}/v1"))
        assert text_of(chat)
        assert second.httpd.connections_accepted == 1 and len(second.requests) == 1
