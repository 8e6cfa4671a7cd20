"""examples/ml_three_process: the owner, the server and the client run as three real
processes that share only files; the client's decrypted probabilities are those of the
model the owner released, and the server never held a secret key."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import pyppml
from pyppml.ml import EncryptedLogisticRegression, load_public_context

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "ml_three_process"
BITS = 16   # the server's flooding: noise of std 2^-16 A on each score (A the score's public bound, 2^6-2^7 here)


def test_owner_server_client_across_processes(tmp_path):
    if not EXAMPLE.is_dir():
        pytest.skip("examples/ is not part of this installation")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]))
    shared = tmp_path / "exchange"
    shared.mkdir()
    common = ["--dir", str(shared), "--timeout", "120"]
    # The smallest parameters the ML tests use: n = 2^14, one iteration.
    commands = {
        "owner": ["owner.py", *common, "--poly-degree", "16384", "--iterations", "1",
                  "--private", str(tmp_path / "owner-private")],
        "server": ["server.py", *common, "--bits", str(BITS)],
        "client": ["client.py", *common, "--private", str(tmp_path / "client-private"),
                   "--out", str(tmp_path / "proba.npy")],
    }
    procs = {name: subprocess.Popen([sys.executable, *cmd], cwd=EXAMPLE, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for name, cmd in commands.items()}
    outputs = {}
    try:
        for name, proc in procs.items():
            outputs[name] = proc.communicate(timeout=180)[0]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name} failed:\n{outputs[name][-3000:]}"

    # What crossed between the processes: no secret key in the shared folder.
    assert sorted(p.name for p in shared.iterdir()) == ["client.ctx", "dataset.bin", "encrypted_model.bin",
                                                        "model.ppml", "public_context.ctx", "records.bin", "scores.bin"]
    for ctx_file in ("client.ctx", "public_context.ctx"):
        assert not load_public_context(shared / ctx_file).is_private

    # The client's probabilities against the released model in plaintext. Each decrypted
    # score carries the server's flooding (std 2^-BITS A, A the score's public bound
    # rounded up to a power of two) and the client's rounding to 2^-BITS (at most
    # 2^-(BITS+1)); the logistic function is 1/4-Lipschitz. Bound: 7 std
    # (two-sided tail 2.6e-12 per record, about 4e-10 for the 143 records, far below
    # 1e-6). A wrong model, a mixed-up record order or a broken round trip is off by
    # far more than 0.002.
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    _, X_test, _, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    clf = EncryptedLogisticRegression.load(shared / "model.ppml")
    proba = np.load(tmp_path / "proba.npy")
    assert proba.shape == (len(X_test),)
    pow2 = lambda v: 2.0 ** np.ceil(np.log2(v))  # noqa: E731
    A = max(1.0, float(pow2(pow2(np.abs(clf.coef_[0])) @ pow2(np.abs(X_test).max(axis=0)) + pow2(abs(clf.intercept_[0])))))
    bound = 0.25 * (7 * 2.0 ** -BITS * A + 2.0 ** -(BITS + 1))
    np.testing.assert_allclose(proba, clf.predict_proba(X_test)[:, 1], rtol=0, atol=bound)


@pytest.mark.parametrize("script", ["owner.py", "client.py"])
def test_a_private_folder_inside_the_shared_one_is_refused(tmp_path, script):
    """Review 2026-12-08: the private folders defaulted to <dir>/owner-private and
    <dir>/client-private, inside the folder that stands for the network, and a server
    reading it loaded both secret keys. The default is now ~/.pyppml/<role> (mode 0700),
    and a --private inside --dir is refused before any key is made."""
    if not EXAMPLE.is_dir():
        pytest.skip("examples/ is not part of this installation")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(pyppml.__file__).resolve().parents[1]))
    shared = tmp_path / "exchange"
    shared.mkdir()
    run = subprocess.run([sys.executable, script, "--dir", str(shared), "--private", str(shared / "keys"),
                          "--timeout", "1"], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "--private is inside --dir" in run.stderr
    assert not (shared / "keys").exists()
