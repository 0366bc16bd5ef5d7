from .support import Clients


async def test_smoke(clients: Clients) -> None:
    r = await clients.anonymous.post("/threads", json={})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    r = await clients.alice.post("/threads", json={"metadata": {"owner": "mallory"}})
    assert r.status_code == 200, r.text
    thread = r.json()
    assert thread["metadata"]["owner"] == "alice"
    r = await clients.bob.get(f"/threads/{thread['thread_id']}")
    assert r.status_code == 404, r.text
    r = await clients.alice.post(
        f"/threads/{thread['thread_id']}/runs/wait", json={"assistant_id": "whoami", "input": {}}
    )
    assert r.status_code == 200, r.text
    print(r.json())
    assert r.json()["seen"]["identity"] == "alice"
