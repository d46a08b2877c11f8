"""The one kind of error the CLI turns into exit code 2: input the user can fix."""


class BadInput(Exception):
    """A search-space file, a run option or a data set that cannot be used as given."""
