"""The web UI at /ui, in a real browser (headless Chromium) against a real server on each
backend: start a run, watch its events arrive live, reload and go on where it was, answer an
interrupt, cancel a run, open a bookmarked thread, search threads, send the user's token."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

RUN_URL = re.compile(r"/ui/threads/([0-9a-f-]{36})\?run=([0-9a-f-]{36})$")


def _ids(page: Page) -> tuple[str, str]:
    match = RUN_URL.search(page.url)
    assert match, page.url
    return match.group(1), match.group(2)


def _api(url: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, url + path, json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def _finished_run(
    url: str, assistant: str, input: dict[str, Any], **options: Any
) -> tuple[str, str]:
    thread = _api(url, "POST", "/threads", {"metadata": {"purpose": "ui-test"}})
    run = _api(
        url,
        "POST",
        f"/threads/{thread['thread_id']}/runs",
        {"assistant_id": assistant, "input": input, **options},
    )
    _api(url, "GET", f"/threads/{thread['thread_id']}/runs/{run['run_id']}/join")
    return thread["thread_id"], run["run_id"]


def _open_assistant(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/ui")
    page.locator(f'[data-assistant="{name}"]').click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#assistant-graph svg.graph")).to_be_visible()  # drawn from /graph


def test_start_a_run_see_its_interrupt_answer_it_and_see_the_run_succeed(
    page: Page, tether_url: str
) -> None:
    _open_assistant(page, tether_url, "hitl")
    page.fill("#run-input", '{"counter": 5}')
    page.click("#run-start")

    expect(page).to_have_url(RUN_URL)
    thread_id, first_run = _ids(page)
    expect(page.locator("h1")).to_have_text("Thread")
    events = page.locator("#events .event")
    expect(events.first).to_have_attribute("data-event", "metadata")
    expect(page.locator('#events [data-event="updates"]')).to_contain_text("__interrupt__")
    expect(page.locator("#thread-status")).to_have_text("interrupted")

    interrupt = page.locator("#interrupt")
    expect(interrupt).to_contain_text("Waiting for input")
    expect(interrupt).to_contain_text('"approve?"')
    page.fill("#resume-value-0", '{"approved": true}')
    page.click("#resume-submit")

    # The resume is a new run, selected and followed live until it succeeds.
    expect(page).not_to_have_url(re.compile(first_run))
    _, resume_run = _ids(page)
    expect(page.locator(f'#runs tr[data-run="{resume_run}"]')).to_contain_text("success")
    expect(page.locator("#run-status")).to_have_text("success")
    expect(page.locator("#stream-state")).to_have_text("ended")
    expect(page.locator('#events [data-event="updates"]')).to_have_count(2)  # ask, after
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(interrupt).to_be_hidden()
    expect(page.locator("#state-values")).to_contain_text('"approved"')
    expect(page.locator("#runs tbody tr")).to_have_count(2)

    run = _api(tether_url, "GET", f"/threads/{thread_id}/runs/{resume_run}")
    assert run["status"] == "success"
    assert run["kwargs"]["command"] == {"resume": {"approved": True}}
    state = _api(tether_url, "GET", f"/threads/{thread_id}/state")
    assert state["values"]["answer"] == {"approved": True}
    assert state["values"]["counter"] == 5 + 1 + 10


def test_a_thread_paused_at_a_breakpoint_continues_from_the_form(
    page: Page, tether_url: str
) -> None:
    thread_id, _ = _finished_run(tether_url, "agent", {"delay": 0}, interrupt_before=["step_b"])
    page.goto(f"{tether_url}/ui/threads/{thread_id}")
    expect(page.locator("#interrupt")).to_contain_text("Paused before step_b")
    expect(page.locator("#tab-state")).to_contain_text("step_b")
    page.click("#resume-submit")
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(page.locator("#runs tbody tr")).to_have_count(2)
    expect(page.locator("#run-status")).to_have_text("success")
    expect(page.locator("#state-values")).to_contain_text('"counter": 111')
    expect(page.locator("#interrupt")).to_be_hidden()


def test_events_arrive_live_and_a_reload_goes_on_after_the_last_one(
    page: Page, tether_url: str
) -> None:
    n = 30
    _open_assistant(page, tether_url, "ticker")
    page.fill("#run-input", json.dumps({"n_events": n, "delay": 0.25}))
    page.click("#run-start")
    expect(page).to_have_url(RUN_URL)
    thread_id, run_id = _ids(page)

    custom = page.locator('#events [data-event="custom"]')
    expect(custom.nth(2)).to_be_attached()
    # Shown while the run still runs: the events came live, not after the end.
    assert _api(tether_url, "GET", f"/threads/{thread_id}/runs/{run_id}")["status"] == "running"
    assert custom.count() < n
    expect(page.locator("#stream-state")).to_have_text("live")
    expect(page.locator("#run-status")).to_have_text("running")
    expect(page.locator("#cancel-run")).to_be_visible()

    joins: list[str | None] = []

    def on_request(request: Request) -> None:
        if request.url.endswith(f"/runs/{run_id}/stream"):
            joins.append(request.headers.get("last-event-id"))

    page.on("request", on_request)
    page.reload()

    expect(page.locator("#run-status")).to_have_text("success")
    expect(page.locator("#stream-state")).to_have_text("ended")
    expect(custom).to_have_count(n)
    seen = [json.loads(text)["i"] for text in custom.locator(".event-preview").all_text_contents()]
    assert seen == list(range(n))  # every event once, in order, across the reload
    # The page joined after the last event it had shown, not from the start.
    assert joins and joins[0] not in (None, "0", "-1")
    expect(page.locator("#events-count")).to_contain_text(f"{n + 1 + 2 + 1} events")


def test_a_bookmarked_thread_link_shows_its_runs_events_state_checkpoints_and_graph(
    page: Page, tether_url: str
) -> None:
    thread_id, run_id = _finished_run(
        tether_url, "agent", {"delay": 0}, stream_mode=["values", "updates", "custom"]
    )
    page.goto(f"{tether_url}/ui/threads/{thread_id}")

    expect(page.locator(".id-line").first).to_contain_text(thread_id)
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(page.locator(f'#runs tr[data-run="{run_id}"]')).to_have_class(re.compile("selected"))
    expect(page.locator("#run-status")).to_have_text("success")
    expect(page.locator('#events [data-event="custom"]')).to_have_count(6)
    expect(page.locator('#events [data-event="updates"]')).to_have_count(3)
    expect(page.locator("#state-values")).to_contain_text('"counter": 111')
    assert page.url.endswith(f"?run={run_id}")

    # An event opens to its full JSON.
    page.locator('#events [data-event="updates"]').first.locator("summary").click()
    expect(page.locator('#events [data-event="updates"]').first.locator(".json")).to_contain_text(
        '"step_a"'
    )

    page.click('[data-tab="history"]')
    expect(page.locator("#history .checkpoint")).to_have_count(5)  # input, 3 steps, and start
    page.click('[data-tab="graph"]')
    for node in ("step_a", "step_b", "step_c"):  # each ran in the selected run
        expect(page.locator(f'#tab-graph [data-node="{node}"]')).to_have_class(re.compile("done"))
    expect(page.locator('#tab-graph [data-edge="step_a>step_b"]')).to_be_attached()

    # Back in the browser's history, and a link that names no thread.
    page.goto(f"{tether_url}/ui/threads/{uuid.uuid4()}")
    expect(page.locator(".alert-error")).to_contain_text("404")


def test_an_open_thread_page_follows_a_run_started_elsewhere(page: Page, tether_url: str) -> None:
    thread_id, first = _finished_run(tether_url, "trivial", {})
    page.goto(f"{tether_url}/ui/threads/{thread_id}")
    expect(page.locator("#run-status")).to_have_text("success")
    run = _api(
        tether_url,
        "POST",
        f"/threads/{thread_id}/runs",
        {"assistant_id": "trivial", "input": {}, "stream_mode": ["updates"]},
    )
    expect(page.locator("#runs tbody tr")).to_have_count(2)
    expect(page.locator("#runs tr.selected")).to_have_attribute("data-run", run["run_id"])
    expect(page.locator('#events [data-event="updates"]')).to_contain_text("increment")
    expect(page.locator("#run-status")).to_have_text("success")
    assert first != run["run_id"]


def test_a_failed_run_shows_its_error(page: Page, tether_url: str) -> None:
    thread_id, _ = _finished_run(
        tether_url, "agent", {"delay": 0, "fail": True}, stream_mode=["updates"]
    )
    page.goto(f"{tether_url}/ui/threads/{thread_id}")
    expect(page.locator("#run-status")).to_have_text("error")
    expect(page.locator('#events [data-event="error"]')).to_contain_text("ValueError: boom from b")
    expect(page.locator("#thread-status")).to_have_text("error")
    expect(page.locator(".thread-error")).to_contain_text("ValueError: boom from b")


def test_cancel_a_running_run(page: Page, tether_url: str) -> None:
    thread = _api(tether_url, "POST", "/threads", {})
    run = _api(
        tether_url,
        "POST",
        f"/threads/{thread['thread_id']}/runs",
        {
            "assistant_id": "ticker",
            "input": {"n_events": 600, "delay": 0.1},
            "stream_mode": "custom",
        },
    )
    page.goto(f"{tether_url}/ui/threads/{thread['thread_id']}?run={run['run_id']}")
    expect(page.locator('#events [data-event="custom"]').first).to_be_attached()
    page.click("#cancel-run")
    expect(page.locator("#run-status")).to_have_text("interrupted")
    expect(page.locator("#cancel-run")).to_have_count(0)
    stored = _api(tether_url, "GET", f"/threads/{thread['thread_id']}/runs/{run['run_id']}")
    assert stored["status"] == "interrupted"


def test_threads_are_searched_by_metadata_and_status(page: Page, tether_url: str) -> None:
    team = f"team-{uuid.uuid4().hex[:8]}"
    first = _api(tether_url, "POST", "/threads", {"metadata": {"team": team, "n": 1}})
    second = _api(tether_url, "POST", "/threads", {"metadata": {"team": team, "n": 2}})
    page.goto(f"{tether_url}/ui")
    rows = page.locator("#threads tbody tr")

    page.fill("#thread-metadata", f"team={team}")
    page.press("#thread-metadata", "Enter")
    expect(rows).to_have_count(2)
    page.fill("#thread-metadata", f'{{"team": "{team}", "n": 2}}')
    page.press("#thread-metadata", "Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-thread", second["thread_id"])

    page.select_option("#thread-status", "busy")
    expect(page.locator(".table-message")).to_contain_text("No thread matches")
    page.select_option("#thread-status", "idle")
    expect(rows).to_have_count(1)
    assert "status=idle" in page.url  # the search is in the address, to bookmark

    # A thread id goes straight to the thread.
    page.fill("#thread-metadata", first["thread_id"])
    page.press("#thread-metadata", "Enter")
    expect(page).to_have_url(re.compile(f"/ui/threads/{first['thread_id']}"))


@pytest.mark.parametrize(
    ("header", "sent"),
    [("authorization", ("authorization", "Bearer s3cret")), ("x-api-key", ("x-api-key", "s3cret"))],
)
def test_the_users_token_goes_with_every_request(
    page: Page, tether_url: str, header: str, sent: tuple[str, str]
) -> None:
    thread_id, run_id = _finished_run(tether_url, "trivial", {})
    page.goto(f"{tether_url}/ui")
    page.click("#token-button")
    page.select_option("#token-header", header)
    page.fill("#token-input", "s3cret")
    with page.expect_request(lambda r: r.url.endswith("/threads/search")) as search:
        page.click("#token-save")
    assert search.value.headers.get(sent[0]) == sent[1]

    # Kept in the browser: a bookmarked thread's requests and its event stream carry it too.
    with page.expect_request(lambda r: r.url.endswith(f"/runs/{run_id}/stream")) as stream:
        page.goto(f"{tether_url}/ui/threads/{thread_id}?run={run_id}")
    assert stream.value.headers.get(sent[0]) == sent[1]
    expect(page.locator("#run-status")).to_have_text("success")


def test_the_pages_sse_reader_and_id_order(page: Page, tether_url: str) -> None:
    """The page's own SSE parser, fed a stream cut at awkward places (a CRLF split in two, a
    heartbeat comment, an event spread over chunks), and its event id order (integers)."""
    page.goto(f"{tether_url}/ui")
    result = page.evaluate(
        """async () => {
          const { readSSE, compareIds } = await import("/ui/assets/api.js");
          const chunks = [
            ": heartbeat\\r\\n\\r\\nevent: metadata\\r\\ndata: {\\"run_id\\":\\"r\\"}\\r",
            "\\nid: 5-0\\r\\n\\r\\nevent: custom\\r\\nda",
            "ta: {\\"i\\":1}\\r\\nid: 5-1\\r\\n\\r\\n",
            "event: error\\ndata: {\\"error\\":\\"E\\"}\\n\\n",
          ];
          const body = new ReadableStream({
            start(controller) {
              for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
              controller.close();
            },
          });
          const events = [];
          for await (const event of readSSE(body)) events.push(event);
          return {
            events,
            order: [compareIds("1000-10", "1000-9"), compareIds("999-0", "1000-0"), compareIds("7-3", "7-3")],
          };
        }"""
    )
    assert result["events"] == [
        {"event": "metadata", "data": '{"run_id":"r"}', "id": "5-0"},
        {"event": "custom", "data": '{"i":1}', "id": "5-1"},
        {"event": "error", "data": '{"error":"E"}', "id": None},
    ]
    assert result["order"] == [1, -1, 0]
