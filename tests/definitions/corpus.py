"""The domain XML corpus under tests/data/domain-xml/, shared by the definition tests."""

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "domain-xml"
VALID = sorted(DATA.glob("*.xml"))
BAD = DATA / "bad"


def read(path: Path) -> str:
    """The file's exact text: no newline translation, so CRLF documents stay CRLF."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def ids(paths):
    return [p.stem for p in paths]
