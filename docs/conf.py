"""Sphinx configuration of the pyppml documentation site (myst-parser for the Markdown pages,
autodoc + napoleon for the NumPy-style docstrings).

Build (warnings are errors, as in CI)::

    pip install -r docs/requirements.txt
    sphinx-build -W --keep-going -b html docs docs/_build/html

The site documents the pyppml that ``import pyppml`` finds: an installed wheel, or a
developer build in place (``./dev-build.sh``). Modules whose optional dependency is absent
(``pyppml.fl.flower`` needs flwr, ``pyppml.numba`` needs numba) are mocked so the build
still passes; their pages then say so.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# A source checkout without an installed wheel: the in-place build (dev-build.sh).
if importlib.util.find_spec("pyppml") is None:
    sys.path.insert(0, ROOT)

import pyppml

project = "pyppml"
author = "the pyppml developers"
copyright = "2026, the pyppml developers"
release = pyppml.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]

# Optional dependencies: autodoc imports each module; when flwr or numba is missing the
# module is documented against a mock of the package instead of failing the build.
autodoc_mock_imports = [name for name in ("flwr", "numba") if importlib.util.find_spec(name) is None]

autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_inherit_docstrings = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# Docstrings cross-reference short names (``Context``, ``Ciphertext``) that exist in both
# pyppml.ckks and pyppml.bfv; Sphinx links the first and would warn on every such field.
suppress_warnings = ["ref.python"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"pyppml {release}"


# Docstrings are written as plain text first (they are read with help()): |x| means an
# absolute value or a norm there, which reStructuredText would take for a substitution.
_BARS = re.compile(r"(?<![\\|`\w])\|(?=\S)([^|`\n]*?\S)\|(?![\w|])")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")


def _escape_bars(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        if line.lstrip().startswith((">>>", "...")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(p if j % 2 else _BARS.sub(r"\\|\1\\|", p) for j, p in enumerate(parts))


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,...}_request on every estimator subclass; they
    # are scikit-learn's API, documented there, and their docstrings link into its site.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
    app.connect("autodoc-skip-member", _skip_member)
