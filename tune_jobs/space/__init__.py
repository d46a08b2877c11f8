"""The search space: the one reader of space files (``spec``) and its distributions (``domains``)."""
