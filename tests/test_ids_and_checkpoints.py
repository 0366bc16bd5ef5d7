"""Ids written any UUID way name one resource; an unknown checkpoint is a 404, never a
silent replacement of the thread's state."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient

UNKNOWN_CHECKPOINT = "1f000000-0000-6000-8000-000000000000"


def _forms(value: str) -> list[str]:
    return [
        value.upper(),
        "{" + value + "}",
        "urn:uuid:" + value,
        value.replace("-", ""),
        "{" + value.upper().replace("-", "") + "}",
    ]


def test_a_thread_id_written_any_uuid_way_is_stored_in_canonical_form(
    app_client: TestClient,
) -> None:
    for index in range(5):
        form = _forms(str(uuid.uuid4()))[index]
        created = app_client.post("/threads", json={"thread_id": form})
        assert created.status_code == 200, form
        assert created.json()["thread_id"] == str(uuid.UUID(form))
        again = app_client.post("/threads", json={"thread_id": str(uuid.UUID(form)).upper()})
        assert again.status_code == 409
    assert app_client.post("/threads/count", json={}).json() == 5


def test_every_form_of_an_id_in_a_path_names_the_same_resource(app_client: TestClient) -> None:
    thread_id = app_client.post("/threads", json={}).json()["thread_id"]
    run = app_client.post(
        f"/threads/{thread_id.upper()}/runs/wait", json={"assistant_id": "trivial", "input": {}}
    )
    assert run.status_code == 200
    run_id = app_client.get(f"/threads/{thread_id}/runs").json()[0]["run_id"]
    for form in _forms(thread_id):
        response = app_client.get(f"/threads/{form}")
        assert response.status_code == 200, form
        assert response.json()["thread_id"] == thread_id
    for form in _forms(run_id):
        response = app_client.get(f"/threads/{thread_id.upper()}/runs/{form}")
        assert response.status_code == 200, form
        assert response.json()["run_id"] == run_id
    assistant_id = app_client.get(f"/threads/{thread_id}/runs").json()[0]["assistant_id"]
    assert app_client.get(f"/assistants/{assistant_id.upper()}").status_code == 200
    cron = app_client.post(
        "/runs/crons", json={"assistant_id": assistant_id.upper(), "schedule": "0 0 * * *"}
    ).json()
    assert cron["assistant_id"] == assistant_id
    assert app_client.get(f"/runs/crons/{cron['cron_id'].upper()}").status_code == 200
    searched = app_client.post("/threads/search", json={"ids": [thread_id.upper()]}).json()
    assert [t["thread_id"] for t in searched] == [thread_id]


def test_a_thread_id_that_is_no_uuid_is_still_a_422(app_client: TestClient) -> None:
    response = app_client.get("/threads/not-a-uuid")
    assert response.status_code == 422
    assert app_client.post("/threads", json={"thread_id": "nope"}).status_code == 422


@pytest.fixture
def thread_at_111(app_client: TestClient) -> str:
    thread_id = app_client.post("/threads", json={}).json()["thread_id"]
    done = app_client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "trivial", "input": {"counter": 110}},
    )
    assert done.json()["counter"] == 111
    return str(thread_id)


def test_updating_state_from_an_unknown_checkpoint_is_a_404_and_changes_nothing(
    app_client: TestClient, thread_at_111: str
) -> None:
    thread_id = thread_at_111
    before = app_client.get(f"/threads/{thread_id}/state").json()
    response = app_client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"counter": 1}, "checkpoint_id": UNKNOWN_CHECKPOINT},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": f"Checkpoint {UNKNOWN_CHECKPOINT} not found"}
    nested = app_client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"counter": 1}, "checkpoint": {"checkpoint_id": UNKNOWN_CHECKPOINT}},
    )
    assert nested.status_code == 404
    after = app_client.get(f"/threads/{thread_id}/state").json()
    assert after["values"]["counter"] == 111
    assert after["checkpoint_id"] == before["checkpoint_id"]
    # A checkpoint that exists still forks.
    forked = app_client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"counter": 5}, "checkpoint_id": before["checkpoint_id"]},
    )
    assert forked.status_code == 200
    # `counter` adds up (its reducer): the fork starts from 111.
    assert app_client.get(f"/threads/{thread_id}/state").json()["values"]["counter"] == 116


def test_reading_an_unknown_checkpoint_is_a_404(app_client: TestClient, thread_at_111: str) -> None:
    empty = app_client.post("/threads", json={}).json()["thread_id"]
    for thread_id in (thread_at_111, empty):
        response = app_client.get(f"/threads/{thread_id}/state/{UNKNOWN_CHECKPOINT}")
        assert response.status_code == 404, thread_id
        by_body = app_client.post(
            f"/threads/{thread_id}/state/checkpoint",
            json={"checkpoint": {"checkpoint_id": UNKNOWN_CHECKPOINT}},
        )
        assert by_body.status_code == 404, thread_id
    known = app_client.get(f"/threads/{thread_at_111}/state").json()["checkpoint_id"]
    at = app_client.get(f"/threads/{thread_at_111}/state/{known}")
    assert at.status_code == 200 and at.json()["values"]["counter"] == 111
