"""Every Redis key and channel name Tether uses, under one prefix (`TETHER_REDIS_PREFIX`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "tether"

    @property
    def news(self) -> str:
        """Channel: "the logs under <key> <key> ... have new events", then, packed, the
        events themselves unless they are big (`bus.encode_news`)."""
        return f"{self.prefix}:news"

    @property
    def work(self) -> str:
        """Channel: a run may have become claimable."""
        return f"{self.prefix}:work"

    @property
    def cancel(self) -> str:
        """Channel: the run whose id is the message was flagged for cancellation."""
        return f"{self.prefix}:cancel"

    @property
    def crons(self) -> str:
        """Channel: the cron schedule changed."""
        return f"{self.prefix}:crons"

    def signal_channels(self) -> tuple[str, ...]:
        """What every process listens to. The news channel is followed only by processes
        that read logs (API processes), from their first read: a `tether worker` never
        receives the news of every run."""
        return (self.work, self.cancel, self.crons)
