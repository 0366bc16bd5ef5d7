"""A graph that reports who runs it, as graphs read it from their config."""

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict


class State(TypedDict, total=False):
    seen: Any


def look(state: State, config: RunnableConfig) -> State:
    configurable = config["configurable"]
    user = configurable["langgraph_auth_user"]
    return {
        "seen": {
            "identity": user.identity,
            "display_name": user.display_name,
            "org": user.get("org"),  # a user that is an identity string has none
            "org_attribute": getattr(user, "org", None),
            "user_id": configurable["langgraph_auth_user_id"],
            "permissions": configurable["langgraph_auth_permissions"],
            "config_user_id": configurable["user_id"],
        }
    }


builder = StateGraph(State)
builder.add_node(look)
builder.add_edge(START, "look")
builder.add_edge("look", END)
whoami = builder.compile()
