"""What one try of a delivery came to, as every channel reports it."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Result:
    # sent: accepted; retry: the endpoint may take it later (counts against its circuit);
    # refused: it never will, as sent (dead-lettered at once); void: nobody left to tell.
    outcome: Literal["sent", "retry", "refused", "void"]
    reason: str = ""


SENT = Result("sent")


def retry(reason: str) -> Result:
    return Result("retry", reason)


def refused(reason: str) -> Result:
    return Result("refused", reason)
