"""The comparison itself: normalisation keeps what must be equal, and a real difference is found."""

from __future__ import annotations

from .normalizing import Allowed, Difference, differences, normalize

RUN = "01a20edf-eb2e-761d-8eab-5fb882318174"
THREAD = "01a20edf-eae0-76a7-9e54-d7d87e74abd5"


def _stream(
    run_id: str, thread_id: str, counter: int = 1, t: float = 1795545975.5
) -> dict[str, object]:
    return {
        "stream": [
            {"event": "metadata", "data": {"run_id": run_id, "attempt": 1}},
            {"event": "custom", "data": {"i": 0, "t": t}},
            {"event": "values", "data": {"counter": counter, "thread": thread_id}},
        ],
        "location": f"/threads/{thread_id}/runs/{run_id}/stream",
        "created_at": "2026-11-24T18:48:30.922669+00:00",
        "metadata": {"langgraph_api_version": "0.16.7", "graph_id": "agent"},
    }


def test_generated_ids_timestamps_and_server_identity_are_normalised() -> None:
    official = _stream(RUN, THREAD)
    tether = _stream(
        "01b30000-0000-7000-8000-000000000001",
        "01b30000-0000-7000-8000-000000000002",
        t=1795545999.0,
    )
    tether["created_at"] = "2027-01-01T00:00:00Z"
    tether["metadata"] = {"tether_version": "0.1.0", "graph_id": "agent"}

    assert differences(normalize(official), normalize(tether)) == []


def test_a_named_id_keeps_its_identity_across_the_transcript() -> None:
    normal = normalize(_stream(RUN, THREAD))

    assert normal["stream"][0]["data"]["run_id"] == "<run:1>"
    assert normal["location"] == "/threads/<uuid>/runs/<run:1>/stream"


def test_a_run_id_that_does_not_match_is_a_difference() -> None:
    official = _stream(RUN, THREAD)
    tether = _stream(RUN, THREAD)
    tether["location"] = f"/threads/{THREAD}/runs/01a20edf-0000-7000-8000-000000000000/stream"

    assert [d.path for d in differences(normalize(official), normalize(tether))] == ["location"]


def test_changed_data_missing_keys_and_reordered_events_are_differences() -> None:
    official = normalize(_stream(RUN, THREAD))
    changed = normalize(_stream(RUN, THREAD, counter=2))
    reordered = normalize(_stream(RUN, THREAD))
    reordered["stream"].reverse()
    shorter = normalize(_stream(RUN, THREAD))
    shorter["stream"].pop()
    del shorter["metadata"]

    assert differences(official, changed) == [Difference("stream.2.data.counter", 1, 2)]
    assert {d.path for d in differences(official, reordered)} >= {
        "stream.0.event",
        "stream.2.event",
    }
    assert {d.path for d in differences(official, shorter)} == {"stream", "metadata"}


def test_an_integer_and_an_equal_float_differ() -> None:
    assert differences({"x": 0}, {"x": 0.0}) == [Difference("x", 0, 0.0)]


def test_allow_entries_match_scenario_and_path_patterns() -> None:
    entry = Allowed("mode_*", "stream.*.ids", "choice", "ids everywhere")

    assert entry.matches("mode_values_agent", Difference("stream.3.ids", "none", "all"))
    assert not entry.matches("join_live_only", Difference("stream.3.ids", "none", "all"))
    assert not entry.matches("mode_values_agent", Difference("stream.3.data", 1, 2))


def test_an_allowance_can_insist_on_tethers_value() -> None:
    entry = Allowed("rejoin", "rejoin.missing", "quirk", "official may skip", tether_is=[])

    assert entry.matches("rejoin", Difference("rejoin.missing", [5], []))
    assert not entry.matches("rejoin", Difference("rejoin.missing", [], [5]))
