"""The docs describe the repository as it is: every path they name exists, every relative
link resolves, and no doc carries the bookkeeping of the work (ticket numbers, steps of a
run); that history lives in git.

A superseded decision record is kept as it stood when it was superseded, so the paths it
names may since have gone; it is exempt from the path check, not from the rest.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Where a token must start to be read as a path in the repository.
TOP_LEVEL_DIRECTORIES = ("shared", "services", "dev", "tests", "deploy", "docs", "bench", ".ci")
TOP_LEVEL_FILES = ("Makefile", "Dockerfile", "pyproject.toml")

FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
# A placeholder or a pattern names no one file: `services/<name>/`, `tests/*.py`.
PLACEHOLDER = re.compile(r"[<>*{}$…]")
TICKET = re.compile(r"\b(?:issues?|tickets?|stops?)\s+#?\d+\b", re.IGNORECASE)
STATUS_LINE = re.compile(r"^Status:.*$", re.MULTILINE | re.IGNORECASE)


def docs() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "bench" / "README.md"]
    found += sorted((ROOT / "docs").rglob("*.md"))
    found += sorted(p for p in (ROOT / "deploy").rglob("README*") if p.is_file())
    return [p for p in found if p.is_file()]


def superseded(text: str) -> bool:
    status = STATUS_LINE.search(text)
    return status is not None and "superseded by" in status.group(0).lower()


def repository_path(token: str) -> str | None:
    """The repository path a code span names, or None when it names none."""
    words = token.split()
    if not words:
        return None
    word = words[0].split(":")[0].rstrip(".,;)")
    if PLACEHOLDER.search(word) or "://" in word:
        return None
    if word in TOP_LEVEL_FILES:
        return word
    head = word.split("/")[0]
    if head in TOP_LEVEL_DIRECTORIES and (word == head or word.startswith(head + "/")):
        return word
    return None


def named_paths(text: str) -> list[str]:
    prose = FENCED_BLOCK.sub("", text)
    names = (repository_path(span) for span in INLINE_CODE.findall(prose))
    return [name for name in names if name is not None]


def link_targets(text: str) -> list[str]:
    prose = FENCED_BLOCK.sub("", text)
    targets = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor in the same page
        target = target.split("#")[0]
        if target and not PLACEHOLDER.search(target):
            targets.append(target)
    return targets


def test_the_scan_finds_paths_and_leaves_out_what_names_no_file() -> None:
    text = (
        "See `shared/adapters/kafka/topics.py`, `services/router/` and `Makefile`, "
        "`services/router/lifecycle.py: reproduce`, `bench/passthrough.py --echoes=1`.\n"
        "Not paths: `services/<name>/`, `dev-webhook-secret`, `/docs`, `kafka/`, `.pintu/`.\n"
        "```sh\ncat `shared/nowhere.py`\n```\n"
        "[0002](0002-router.md), [site](https://example.org/x), [here](#anchor), "
        "[ops](../operations.md#4-apply)\n"
    )
    assert named_paths(text) == [
        "shared/adapters/kafka/topics.py",
        "services/router/",
        "Makefile",
        "services/router/lifecycle.py",
        "bench/passthrough.py",
    ]
    assert link_targets(text) == ["0002-router.md", "../operations.md"]


def test_the_docs_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in docs()}
    assert {"README.md", "bench/README.md", "docs/operations.md", "docs/contract.md"} <= names
    assert any(name.startswith("docs/decisions/") for name in names)


def test_every_path_a_doc_names_exists() -> None:
    missing = []
    for doc in docs():
        text = doc.read_text(encoding="utf-8")
        name = doc.relative_to(ROOT).as_posix()
        if not superseded(text):
            missing += [
                f"{name}: `{path}`" for path in named_paths(text) if not (ROOT / path).exists()
            ]
        missing += [
            f"{name}: ({target})"
            for target in link_targets(text)
            if not (doc.parent / target).exists()
        ]
    assert not missing, "docs name paths that do not exist:\n" + "\n".join(missing)


def test_no_doc_carries_ticket_numbers() -> None:
    found = []
    for doc in docs():
        name = doc.relative_to(ROOT).as_posix()
        text = doc.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if TICKET.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
        for status in STATUS_LINE.findall(text):
            if re.search(r"#\d+", status):
                found.append(f"{name}: {status.strip()}")
    assert not found, "docs name tickets or steps of the work:\n" + "\n".join(found)


def test_every_decision_record_states_its_status() -> None:
    records = sorted((ROOT / "docs" / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records
    without = [p.name for p in records if not STATUS_LINE.search(p.read_text(encoding="utf-8"))]
    assert not without, f"decision records without a status line: {without}"
