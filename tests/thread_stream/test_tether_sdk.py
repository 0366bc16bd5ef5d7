"""tether_sdk's `threads.stream` (async and sync) against a real server, its events over SSE
and over WebSocket: runs, interrupts, filtered subscriptions and an exactly-once reconnect
after the connection is cut."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import tether_sdk
from tether_sdk import ReconnectPolicy

from .proxy import CuttingProxy

TIMEOUT = 20.0
TRANSPORTS = ["sse", "websocket"]
#: Quick reconnects for the tests that cut connections.
QUICK = ReconnectPolicy(base_delay=0.01, max_delay=0.05, max_attempts=50)


def _used(proxy: CuttingProxy, transport: str) -> None:
    """The event streams went over WebSockets, or none did (SSE streams share pooled
    HTTP connections, so the proxy cannot tell them apart)."""
    sockets = proxy.stream_connections(websocket=True)
    assert sockets if transport == "websocket" else not sockets


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_run_values_and_interrupt_async(v3_url: str, transport: str) -> None:
    with CuttingProxy(v3_url) as proxy:
        await _run_values_and_interrupt(proxy.url, transport)
    _used(proxy, transport)


async def _run_values_and_interrupt(url: str, transport: Any) -> None:
    client = tether_sdk.get_client(url=url)
    async with client.threads.stream(assistant_id="hitl", transport=transport) as thread:
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


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tokens_and_reattach_sync(v3_url: str, transport: Any) -> None:
    with CuttingProxy(v3_url) as proxy:
        _tokens_and_reattach(proxy.url, transport)
    _used(proxy, transport)


def _tokens_and_reattach(url: str, transport: Any) -> None:
    client = tether_sdk.get_sync_client(url=url)
    with client.threads.stream(assistant_id="chat", transport=transport) as thread:
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
    with client.threads.stream(thread.thread_id, assistant_id="chat", transport=transport) as again:
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


async def _read_one_run(thread: Any) -> list[dict[str, Any]]:
    events = []
    async with asyncio.timeout(TIMEOUT):
        async for event in thread.events():
            events.append(event)
            if tether_sdk._core.thread_stream.root_end(event):
                break
    return events


async def _uncut(url: str, thread_id: str, count: int) -> list[dict[str, Any]]:
    plain = tether_sdk.get_client(url=url)
    whole: list[dict[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async for event in plain.threads.stream(thread_id, assistant_id="agent").events():
            whole.append(event)
            if len(whole) == count:
                break
    return whole


async def test_a_cut_websocket_resumes_with_nothing_lost_or_repeated(v3_url: str) -> None:
    # Cut after the handshake, the subscription's answer and at least one event: every
    # connection moves the cursor on.
    with CuttingProxy(v3_url, cut_after=3) as proxy:
        client = tether_sdk.get_client(url=proxy.url, reconnect=QUICK)
        async with client.threads.stream(assistant_id="agent", transport="websocket") as thread:
            await thread.run.start(input={"delay": 0.02})
            events = await _read_one_run(thread)
    assert proxy.cuts > 3  # cut and reopened several times
    assert len(proxy.stream_connections(websocket=True)) > 3
    whole = await _uncut(v3_url, thread.thread_id, len(events))
    assert [e["event_id"] for e in events] == [e["event_id"] for e in whole]
    assert [e["params"]["data"]["node"] for e in events if e["method"] == "custom"] == ["a"] * 3 + [
        "b"
    ] * 3


def test_a_cut_websocket_resumes_sync_and_an_interrupt_is_answered(v3_url: str) -> None:
    with CuttingProxy(v3_url, cut_after=4) as proxy:  # see above; one more for safety
        client = tether_sdk.get_sync_client(url=proxy.url, reconnect=QUICK)
        with client.threads.stream(assistant_id="hitl", transport="websocket") as thread:
            thread.run.start(input={})
            assert thread.output()["counter"] == 0 and thread.interrupted
            thread.run.respond("yes")
            assert thread.output()["answer"] == "yes" and not thread.interrupted
            seqs = []
            for event in thread.events(since=0):
                seqs.append(event["seq"])
                if tether_sdk._core.thread_stream.root_end(event) == "completed":
                    break
    assert proxy.cuts > 1
    assert seqs == sorted(set(seqs))  # strictly increasing: nothing repeated


async def test_a_refused_websocket_is_the_sdks_status_error_not_retried(v3_url: str) -> None:
    with CuttingProxy(v3_url) as proxy:
        # No such route: the server refuses the handshake (403, as Starlette refuses
        # WebSockets it does not serve).
        client = tether_sdk.get_client(url=proxy.url + "/no-such-prefix", reconnect=QUICK)
        thread = client.threads.stream(assistant_id="agent", transport="websocket")
        with pytest.raises(tether_sdk.PermissionDeniedError):
            async with asyncio.timeout(TIMEOUT):
                async for _ in thread.events():
                    pass
    assert len(proxy.stream_connections(websocket=True)) == 1
