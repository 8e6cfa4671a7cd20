"""Release helpers for the common statistics, as OpenDP and diffprivlib offer: ``count``,
``sum``, ``mean``, ``histogram``. Integer quantities get integer outputs with exact
discrete Laplace / discrete Gaussian noise added to the integers; values are clamped to
public bounds the caller gives (never taken from the data); counts and bins are clamped
at 0 as post-processing; each helper can charge a ``PrivacyAccountant``. Neighbouring
data sets differ by adding or removing one record.

>>> from pyppml import dp
>>> acc = dp.PrivacyAccountant("pld")
>>> _ = dp.count([1, 2, 3], epsilon=0.5, accountant=acc)
>>> _ = dp.mean([1.0, 2.0], bounds=(0, 4), epsilon=0.5, accountant=acc)
>>> round(acc.get_epsilon(1e-6), 3) <= 1.0
True
"""

from pyppml.dp.releases.count import count
from pyppml.dp.releases.histogram import histogram
from pyppml.dp.releases.mean import mean
from pyppml.dp.releases.sum import sum

__all__ = ["count", "histogram", "mean", "sum"]
