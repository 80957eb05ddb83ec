"""The result record of one ``jmcp doctor`` check: name, status, detail and how to fix it."""

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def passed(name: str, detail: str) -> Check:
    return Check(name, "pass", detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, "skip", detail)
