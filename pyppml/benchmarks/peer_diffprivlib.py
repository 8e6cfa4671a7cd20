"""IBM's diffprivlib as a peer for ``pyppml bench dplr --compare``: its
``LogisticRegression`` (objective perturbation, pure epsilon-DP).

diffprivlib 0.6.6's package ``__init__`` no longer imports against current scikit-learn
(its forest module needs a private tree symbol that was removed), and its logistic
regression passes ``multi_class`` to scikit-learn's constructor, which scikit-learn 1.8
dropped. The loader imports the one module without the package ``__init__`` and gives
the class a constructor without that argument; ``fit`` runs unchanged."""

from __future__ import annotations

import importlib.util
import os
import sys
import types


def load_logistic_regression():
    """diffprivlib's LogisticRegression class, or None when diffprivlib is not installed."""
    spec = importlib.util.find_spec("diffprivlib")
    if spec is None or spec.origin is None:
        return None
    root = os.path.dirname(spec.origin)
    for name, path in (("diffprivlib", root), ("diffprivlib.models", os.path.join(root, "models"))):
        if name not in sys.modules:  # bare packages: their __init__ would import the forest
            pkg = types.ModuleType(name)
            pkg.__path__ = [path]
            sys.modules[name] = pkg
    from diffprivlib.accountant import BudgetAccountant
    from diffprivlib.models import logistic_regression as module
    from sklearn import linear_model

    cls = module.LogisticRegression

    def __init__(self, *, epsilon=1.0, data_norm=None, tol=1e-4, C=1.0, fit_intercept=True, max_iter=100,
                 verbose=0, warm_start=False, n_jobs=None, random_state=None, accountant=None):
        linear_model.LogisticRegression.__init__(
            self, dual=False, tol=tol, C=C, fit_intercept=fit_intercept, intercept_scaling=1.0, class_weight=None,
            random_state=random_state, solver="lbfgs", max_iter=max_iter, verbose=verbose, warm_start=warm_start,
            n_jobs=n_jobs)
        self.epsilon = epsilon
        self.data_norm = data_norm
        self.classes_ = None
        self.accountant = BudgetAccountant.load_default(accountant)

    cls.__init__ = __init__
    return cls
