"""scikit-learn's searches as Ray Tune trials, and the Keras wrappers the seed's notebook used.

    from tune_jobs.sklearn import GridSearchCV, KerasClassifier      # the seed's cells, imports changed

See search.py (GridSearchCV, TuneSearchCV) and wrappers.py (KerasClassifier, KerasRegressor).
"""

from tune_jobs.sklearn.search import GridSearchCV, TuneSearchCV
from tune_jobs.sklearn.wrappers import KerasClassifier, KerasRegressor

__all__ = ["GridSearchCV", "KerasClassifier", "KerasRegressor", "TuneSearchCV"]
