"""A fake OpenAI-compatible server on 127.0.0.1 for the assistant's tests: the real openai SDK talks to it.

It answers `POST /v1/chat/completions` from a script of replies, in order, and records every request.
A reply knows how to answer both a plain and a streamed (`"stream": true`) request:

    fake.text("The answer.")                         # content (streamed as several chunks when asked)
    fake.tool_calls(("list_tables", {}))             # the model calls tools
    fake.json({"sql": "SELECT 1"})                   # content that is JSON text
    fake.status(429, {"error": {...}})               # an HTTP error (429 carries retry-after-ms: 10)
    fake.text("late", delay=2.0)                     # answers after a delay (timeout tests)
    fake.text("held", hold=event)                    # streamed: holds its last words until `event` is set
    fake.responder = lambda body: Reply(...)         # when the script is empty: decide from the request

Use the `fake_openai` fixture of `assistant/tests/conftest.py`, or `configure(settings, fake)` yourself.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAKE_KEY = "sk-test-not-a-real-key"
HOLD_LIMIT_S = 30.0  # a held reply nobody releases goes on after this (and says so) rather than hang the suite


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[tuple[str, dict | str]] = field(default_factory=list)
    status: int = 200
    body: dict | str | None = None  # the raw body of an error (or malformed) answer
    delay: float = 0.0
    # Streamed only: everything up to the last word is sent at once, the rest when this event is set (a test sets
    # it once it has read the first words from DBooster). Waits at most HOLD_LIMIT_S, then records `hold_expired`.
    hold: threading.Event | None = None
    prompt_tokens: int = 120
    completion_tokens: int = 30


def _calls(reply: Reply) -> list[dict]:
    return [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for index, (name, args) in enumerate(reply.tool_calls)
    ]


def _usage(reply: Reply) -> dict:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def completion_body(reply: Reply, model: str) -> dict:
    message: dict = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = _calls(reply)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": _usage(reply),
    }


def _chunk(model: str, delta: dict, finish: str | None = None, usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
        **({"usage": usage} if usage else {}),
    }


def stream_chunks(reply: Reply, model: str) -> list[dict]:
    """The reply as the chunks a streaming server sends: words of the content, then tool calls in pieces."""
    chunks = [_chunk(model, {"role": "assistant", "content": ""})]
    words = (reply.content or "").split(" ")
    for index, word in enumerate(words if reply.content else []):
        chunks.append(_chunk(model, {"content": word if index == 0 else " " + word}))
    for index, call in enumerate(_calls(reply)):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        first = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        chunks.append(_chunk(model, {"tool_calls": [{**first, "function": {**first["function"], "arguments": ""}}]}))
        for piece in (arguments[:half], arguments[half:]):
            chunks.append(_chunk(model, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    chunks.append(_chunk(model, {}, finish="tool_calls" if reply.tool_calls else "stop"))
    chunks.append(_chunk(model, {}, usage=_usage(reply)))
    return chunks


class FakeOpenAI:
    def __init__(self, model: str = "fake-model"):
        self.model = model
        self.script: list[Reply] = []
        self.requests: list[dict] = []
        self.responder: Callable[[dict], Reply] | None = None
        self.hold_expired = False  # a held reply went on unreleased: the client never saw its first words
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                    reply = fake.next_reply(body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    fake.answer(self, reply, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def next_reply(self, body: dict) -> Reply:
        if self.script:
            return self.script.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return Reply(status=500, body={"error": {"message": "the fake server has no reply scripted"}})

    def answer(self, handler: BaseHTTPRequestHandler, reply: Reply, body: dict) -> None:
        if reply.status != 200 or reply.body is not None:
            payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body or {})
            self._send(handler, reply.status, "application/json", payload.encode(), retry=reply.status == 429)
            return
        if not body.get("stream"):
            self._send(handler, 200, "application/json", json.dumps(completion_body(reply, self.model)).encode())
            return
        events = [f"data: {json.dumps(chunk)}\n\n" for chunk in stream_chunks(reply, self.model)] + ["data: [DONE]\n\n"]
        if reply.hold is None:
            self._send(handler, 200, "text/event-stream", "".join(events).encode())
            return
        # The last word, the finish, the usage and [DONE] wait for the test; the body ends when the connection
        # closes (no Content-Length), each event flushed as it is written.
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        held_from = len(events) - 4
        for index, line in enumerate(events):
            if index == held_from and not reply.hold.wait(HOLD_LIMIT_S):
                self.hold_expired = True
            handler.wfile.write(line.encode())
            handler.wfile.flush()

    @staticmethod
    def _send(handler, status: int, content_type: str, payload: bytes, retry: bool = False) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        if retry:
            handler.send_header("retry-after-ms", "10")
        handler.end_headers()
        handler.wfile.write(payload)

    # --- the script ---------------------------------------------------------------------------------------

    def add(self, reply: Reply) -> FakeOpenAI:
        self.script.append(reply)
        return self

    def text(self, content: str, **options) -> FakeOpenAI:
        return self.add(Reply(content=content, **options))

    def json(self, data: dict, **options) -> FakeOpenAI:
        return self.add(Reply(content=json.dumps(data), **options))

    def tool_calls(self, *calls: tuple[str, dict | str], **options) -> FakeOpenAI:
        return self.add(Reply(tool_calls=list(calls), **options))

    def status(self, status: int, body: dict | str | None = None, **options) -> FakeOpenAI:
        return self.add(Reply(status=status, body=body or {"error": {"message": f"HTTP {status}"}}, **options))

    def bodies(self) -> list[dict]:
        return [request["body"] for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def configure(settings, fake: FakeOpenAI) -> None:
    """Point DBooster's settings (pytest-django's `settings` fixture) at `fake`."""
    settings.OPENAI_API_KEY = FAKE_KEY
    settings.OPENAI_BASE_URL = fake.base_url
    settings.ASSISTANT_CHAT_MODEL = "fake-chat-model"
    settings.ASSISTANT_SQL_MODEL = "fake-sql-model"
    settings.OPENAI_TIMEOUT = 5.0
    settings.OPENAI_MAX_RETRIES = 2
