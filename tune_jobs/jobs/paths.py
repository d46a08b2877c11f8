"""Where the built-in jobs' space files live: ``search_spaces/`` beside the package."""

from pathlib import Path

SPACES = Path(__file__).resolve().parent.parent.parent / "search_spaces"
