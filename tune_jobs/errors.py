"""The one kind of error for input the user can fix: exit code 2 on the command line, and the one
exception type the Python API raises (a ``ValueError``, as scikit-learn raises for bad parameters)."""


class BadInput(ValueError):
    """A search-space file, a run option, a job or a data set that cannot be used as given."""
