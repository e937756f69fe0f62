"""What can stop a store operation, each with a message fit to show a user as it is (never a password)."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be used as asked (unreachable, not initialised, of a newer schema); nothing was written."""


class ConflictError(StoreError):
    """The dataset changed since the caller read it; nothing was written."""

    def __init__(self, label: str, seen: str, now: str):
        self.seen, self.now = seen, now
        super().__init__(f"{label}: the dataset changed since you read it (version {seen[:8]}, now {now[:8]}), "
                         "as when someone appended after you pressed Find candidates; nothing was written — "
                         "read it again and retry")


class RevertError(StoreError):
    """The change cannot be reverted (unknown, already reverted, nothing left to undo); nothing was written."""


class WrittenUnrecorded(StoreError):
    """The change was written, but its change-log entry could not be (a full disk): the data now holds it, and the
    next write records it as made outside the app. Whatever the change cites must stay."""
