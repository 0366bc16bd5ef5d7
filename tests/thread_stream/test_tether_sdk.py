"""tether_sdk's `threads.stream` (async and sync) against a real server: runs, interrupts,
filtered subscriptions and an exactly-once reconnect after the connection is cut."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import tether_sdk
from tether_sdk import ReconnectPolicy

TIMEOUT = 20.0


async def test_run_values_and_interrupt_async(v3_url: str) -> None:
    client = tether_sdk.get_client(url=v3_url)
    async with client.threads.stream(assistant_id="hitl") as thread:
        started = await thread.run.start(input={})
        assert isinstance(started["run_id"], str)
        values = await asyncio.wait_for(thread.output(), TIMEOUT)
        assert values["counter"] == 0 and thread.interrupted
        [pending] = thread.interrupts
        assert pending["value"] == {"question": "approve?", "counter": 0}
        await thread.run.respond("yes")
        values = await asyncio.wait_for(thread.output(), TIMEOUT)
        assert values["answer"] == "yes" and not thread.interrupted
        with pytest.raises(tether_sdk.ProtocolError, match="no_such_interrupt"):
            await thread.run.respond("again", interrupt_id=pending["interrupt_id"])
        tokens = []
        async with asyncio.timeout(TIMEOUT):
            async for event in thread.subscribe(["lifecycle"], depth=0):
                tokens.append(event["params"]["data"]["event"])
                if len(tokens) == 4:
                    break
        assert tokens == ["running", "interrupted", "running", "completed"]


def test_tokens_and_reattach_sync(v3_url: str) -> None:
    client = tether_sdk.get_sync_client(url=v3_url)
    with client.threads.stream(assistant_id="chat") as thread:
        thread.run.start(input={"messages": [{"role": "user", "content": "hi"}]})
        text = ""
        for event in thread.subscribe(["messages"]):
            data = event["params"]["data"]
            if data["event"] == "content-block-delta":
                text += data["delta"]["text"]
            if data["event"] == "message-finish":
                break
        assert text == "Hello there, this is a fake streamed reply."
        assert len(thread.output()["messages"]) == 2
    with client.threads.stream(thread.thread_id, assistant_id="chat") as again:
        assert len(again.output()["messages"]) == 2  # no run here: the thread's state


class _CutAfter(httpx.AsyncBaseTransport):
    """Cuts every event stream after `n` chunks, as a flaky proxy would."""

    def __init__(self, n: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.n = n
        self.opened = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/stream/events"):
            return response
        self.opened += 1
        n = self.n

        class Cut(httpx.AsyncByteStream):
            async def __aiter__(self) -> Any:
                count = 0
                async for chunk in response.stream:  # type: ignore[union-attr]
                    yield chunk
                    count += 1
                    if count >= n:
                        raise httpx.RemoteProtocolError("cut", request=request)

            async def aclose(self) -> None:
                await response.aclose()

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut())


async def test_a_cut_stream_resumes_with_nothing_lost_or_repeated(v3_url: str) -> None:
    cutter = _CutAfter(2)
    http = httpx.AsyncClient(base_url=v3_url, transport=cutter, timeout=TIMEOUT)
    client = tether_sdk.LangGraphClient(
        http, reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05, max_attempts=50)
    )
    async with client.threads.stream(assistant_id="agent") as thread:
        await thread.run.start(input={"delay": 0.02})
        events = []
        async with asyncio.timeout(TIMEOUT):
            async for event in thread.events():
                events.append(event)
                if tether_sdk._core.thread_stream.root_end(event):
                    break
    await http.aclose()
    assert cutter.opened > 3  # it was cut and reopened several times
    # The same events as one uncut reading of the thread.
    plain = tether_sdk.get_client(url=v3_url)
    whole = []
    async with asyncio.timeout(TIMEOUT):
        async for event in plain.threads.stream(thread.thread_id, assistant_id="agent").events():
            whole.append(event)
            if len(whole) == len(events):
                break
    assert [e["event_id"] for e in events] == [e["event_id"] for e in whole]
    assert [e["params"]["data"]["node"] for e in events if e["method"] == "custom"] == ["a"] * 3 + [
        "b"
    ] * 3
