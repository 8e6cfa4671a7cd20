"""Files of pyppml.ml: the fitted model, the data owner's secret state, key holders'
contexts (secret and public), encrypted records and scores. Each round-trips exactly,
holds only what it says, and refuses truncated, altered, foreign or inconsistent bytes
with a ValueError subclass."""

import os
import stat
import subprocess
import time
import sys
import textwrap

import numpy as np
import pytest

from pyppml import FormatError, MismatchError, ParameterError, ckks
from pyppml.ml import (
    DataOwner,
    EncryptedDataset,
    EncryptedLogisticRegression,
    EncryptedModel,
    EncryptedRecords,
    EncryptedScores,
    container,
    decrypt_scores,
    encrypt_records,
    inference_context,
    load_public_context,
    load_secret_context,
    save_public_context,
    save_secret_context,
    score_encrypted,
    train_encrypted,
)
from pyppml.ml.logistic import RELEASED_ATTRIBUTES


@pytest.fixture(scope="module")
def fitted(small_data):
    X, y = small_data
    return EncryptedLogisticRegression(iterations=1, poly_degree=16384, progress=False).fit(X, y)


@pytest.fixture(scope="module")
def owner_run(small_data):
    """A DataOwner after encryption (one iteration) and the server's model of its data."""
    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    model = train_encrypted(ckks.Context.from_bytes(owner.public_context_bytes()), dataset, progress=False)
    return owner, model


@pytest.fixture(scope="module")
def client():
    """An inference client's context, records and the server's flooded scores."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    ctx = inference_context(8192, encrypted_model=False, output="score_flooded")
    records = encrypt_records(X, ctx)
    scores = score_encrypted(records, (np.array([0.5, -1.0, 0.25]), 0.1), output="score_flooded")
    return ctx, X, records, scores


def _fuzz(data: bytes):
    """Truncations at the edges of every field and bit flips spread over the bytes."""
    cuts = sorted({0, 1, 6, 8, 16, 20, len(data) // 2, len(data) - 33, len(data) - 32, len(data) - 1})
    for cut in cuts:
        yield f"cut{cut}", data[:cut]
    for pos in np.linspace(0, len(data) - 1, 24).astype(int):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << (int(pos) % 8)
        yield f"flip{pos}", bytes(flipped)
    yield "extended", data + b"\0"


# ---------------------------------------------------------------------- fitted model
def test_model_round_trip_predicts_identically(fitted, small_data, tmp_path):
    X, _ = small_data
    path = tmp_path / "model.ppml"
    fitted.save(path)
    loaded = EncryptedLogisticRegression.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.coef_, fitted.coef_)
    assert loaded.get_params() == fitted.get_params() and loaded.plan_ == fitted.plan_
    for name in RELEASED_ATTRIBUTES:
        assert repr(getattr(loaded, name)) == repr(getattr(fitted, name)), name
    assert loaded.to_bytes() == fitted.to_bytes()


def test_model_bytes_hold_only_released_attributes(fitted, small_data):
    X, _ = small_data
    data = fitted.to_bytes()
    header, parts = container.unpack(data, "LOGREG", "test")
    assert parts == [] and set(header) == {"params", "attributes"}
    assert set(header["attributes"]) == set(RELEASED_ATTRIBUTES)
    # No training value is written (JSON writes floats by repr): the first rows are absent.
    for value in X[:5].ravel():
        assert repr(float(value)).encode() not in data
    assert len(data) < 8192   # a released model, not keys or ciphertexts


def _assert_all_refused(load, data: bytes, match: str = ""):
    for name, bad in _fuzz(data):
        try:
            load(bad)
        except FormatError as exc:
            assert match in str(exc), (name, str(exc))
        else:
            raise AssertionError(f"{name}: loaded without error")


def test_model_refuses_truncated_or_altered_bytes(fitted):
    _assert_all_refused(EncryptedLogisticRegression.from_bytes, fitted.to_bytes(), "EncryptedLogisticRegression.from_bytes")


def _repack(fitted, edit):
    header, _ = container.unpack(fitted.to_bytes(), "LOGREG", "test")
    edit(header)
    return container.pack("LOGREG", header)


@pytest.mark.parametrize("edit,match", [
    (lambda h: h["attributes"].update(coef_=h["attributes"]["coef_"][:-1]), "coef_ of the wrong length"),
    (lambda h: h["attributes"].update(owner_="secret"), "invalid attributes"),
    (lambda h: h["attributes"].pop("plan_"), "invalid attributes"),
    (lambda h: h["attributes"].update(classes_=[1, 0]), "classes_"),
    (lambda h: h["attributes"].update(coef_=["a"] * len(h["attributes"]["coef_"])), "coef_"),
    (lambda h: h["attributes"]["plan_"].update(method="sgd"), "plan_"),
    (lambda h: h["attributes"]["plan_"].update(extra=1), "plan_"),
    (lambda h: h["params"].update(poly_degree="big"), "poly_degree"),
    (lambda h: h["attributes"]["release_"].update(weight_std="x"), "release_"),
], ids=["short_coef", "extra_attribute", "missing_plan", "classes", "text_coef", "plan_method", "plan_field",
        "param_type", "release_value"])
def test_model_refuses_well_formed_but_invalid_fields(fitted, edit, match):
    # The checksum is right here: each field is still checked.
    with pytest.raises(FormatError, match=match):
        EncryptedLogisticRegression.from_bytes(_repack(fitted, edit))


def test_model_refuses_other_kinds_versions_and_types(fitted, client):
    data = fitted.to_bytes()
    with pytest.raises(FormatError, match="another kind of object; expected 'LOGREG', got 'SCORES'"):
        EncryptedLogisticRegression.from_bytes(client[3].to_bytes())
    newer = data[:6] + (container.FORMAT_VERSION + 1).to_bytes(2, "little") + data[8:]
    with pytest.raises(FormatError, match="format version; expected 1, got 2"):
        EncryptedLogisticRegression.from_bytes(newer)
    with pytest.raises(FormatError, match="expected bytes, got str"):
        EncryptedLogisticRegression.from_bytes("model")
    with pytest.raises(ValueError, match="not fitted"):
        EncryptedLogisticRegression().to_bytes()


# ---------------------------------------------------------------------- data owner
def test_owner_file_is_secret_and_restores_keys_scaling_and_plan(owner_run, small_data, tmp_path):
    owner, model = owner_run
    X, _ = small_data
    path = tmp_path / "owner.key"
    owner.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = DataOwner.load(path)
    # Same secret key, scaling and packing: the same (deterministic) decryption.
    (coef, intercept), (coef2, intercept2) = owner.decrypt_model(model), loaded.decrypt_model(model.to_bytes())
    np.testing.assert_array_equal(coef2, coef)
    assert intercept2 == intercept
    assert loaded.plan == owner.plan and loaded.estimate_noise_bound() == owner.estimate_noise_bound()
    data = path.read_bytes()
    for value in np.concatenate([X[:5].ravel(), owner._Z[:5, 1:].ravel()]):   # no training row
        assert repr(float(value)).encode() not in data
    with pytest.raises(ValueError, match="training rows are not here"):
        loaded.reference_history()
    with pytest.raises(ValueError, match="evaluation keys are not here"):
        loaded.public_context_bytes()


def _in_a_new_process(tmp_path, script: str) -> str:
    """Runs ``script`` in a fresh interpreter, in ``tmp_path``: a restarted owner process,
    whose release counts (the core's, per key) start empty, so that only the owner's file
    can carry the count. Returns what it printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    head = "from pathlib import Path\nfrom pyppml import ParameterError\nfrom pyppml.ml import DataOwner\n"
    run = subprocess.run([sys.executable, "-c", head + textwrap.dedent(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stdout


# Loads the owner's file, prints its count, and tries one more release (max_releases from M).
_LOAD_AND_TRY = """
    again = DataOwner.load("owner.key")
    print(again.context.releases_made, len(again.releases))
    try:
        again.release_model(Path("model.bin").read_bytes(), max_releases=M)
        print("released")
    except ParameterError as exc:
        print("refused:", exc)
"""


def test_owner_release_count_survives_a_reload(small_data, tmp_path):
    """max_releases is a per-key budget: saving and loading must not reset it (a reload
    that restarted the count would allow a second flooded release at the first one's
    noise, halving the protection the first was sized for)."""
    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    model = train_encrypted(owner.public_context(), dataset, progress=False)
    (tmp_path / "model.bin").write_bytes(model.to_bytes())
    owner.release_model(model)
    owner.save(tmp_path / "owner.key")
    out = _in_a_new_process(tmp_path, _LOAD_AND_TRY.replace("M", "1")).splitlines()
    assert out[0] == f"1 {len(owner.releases)}" and len(owner.releases) == 1
    assert out[1].startswith("refused:") and "used its releases" in out[1]


def test_a_release_after_save_is_written_back_to_the_owner_file(small_data, tmp_path):
    """Review 2026-12-07: the documented flow saves owner.key before the release, and a
    release never wrote the count back, so every process that loaded the file could
    release again (3 processes, 3 releases under max_releases=1). Each release of a saved
    or loaded owner now rewrites the file before it returns."""
    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    owner.save(tmp_path / "owner.key")  # before any release, as docs/ml.md says
    model = train_encrypted(owner.public_context(), dataset, progress=False).to_bytes()
    (tmp_path / "model.bin").write_bytes(model)
    owner.release_model(model, max_releases=2)  # the owner that saved: release 1
    second = _in_a_new_process(tmp_path, _LOAD_AND_TRY.replace("M", "2")).splitlines()  # a loaded owner: release 2
    assert second == ["1 1", "released"]
    third = _in_a_new_process(tmp_path, _LOAD_AND_TRY.replace("M", "2")).splitlines()
    assert third[0] == "2 2" and third[1].startswith("refused:") and "used its releases" in third[1]


_LOAD_WAIT_TRY = """
    import time
    again = DataOwner.load("owner.key")
    Path("loaded_K").touch()
    while not Path("go_K").exists():
        time.sleep(0.05)
    try:
        again.release_model(Path("model.bin").read_bytes(), max_releases=1)
        print("released")
    except ParameterError as exc:
        print("refused:", exc)
"""


def test_two_processes_that_loaded_the_file_release_once(small_data, tmp_path):
    """Review 2026-12-08: two processes that had both loaded the owner file before either
    released each read count 0 and both released under max_releases=1 (averaging the two
    halves the flooding's variance). A release now locks the file and re-reads its count:
    the second is refused."""
    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    owner.save(tmp_path / "owner.key")
    (tmp_path / "model.bin").write_bytes(train_encrypted(owner.public_context(), dataset, progress=False).to_bytes())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    head = "from pathlib import Path\nfrom pyppml import ParameterError\nfrom pyppml.ml import DataOwner\n"
    procs = [subprocess.Popen([sys.executable, "-c", head + textwrap.dedent(_LOAD_WAIT_TRY.replace("K", str(k)))],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in (1, 2)]
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"loaded_{k}").exists() for k in (1, 2)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "an owner process did not load"
        time.sleep(0.05)
    outs = []
    for k, proc in zip((1, 2), procs):
        (tmp_path / f"go_{k}").touch()
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        outs.append(out.strip())
    assert outs[0] == "released"
    assert outs[1].startswith("refused:") and "used its releases" in outs[1]


@pytest.mark.parametrize("case", ["cut100", "flip", "kind"])
def test_owner_file_refuses_bad_bytes(owner_run, tmp_path, case):
    owner, _ = owner_run
    owner.save(tmp_path / "owner.key")
    data = bytearray((tmp_path / "owner.key").read_bytes())
    if case == "cut100":
        data = data[:100]
    elif case == "flip":
        data[len(data) // 3] ^= 4
    else:
        data = bytearray(save_and_read_secret(owner.context, tmp_path))
    (tmp_path / "bad.key").write_bytes(bytes(data))
    with pytest.raises(FormatError, match="DataOwner.load"):
        DataOwner.load(tmp_path / "bad.key")


def save_and_read_secret(ctx, tmp_path):
    save_secret_context(ctx, tmp_path / "ctx.key")
    return (tmp_path / "ctx.key").read_bytes()


# ---------------------------------------------------------------------- training messages
@pytest.fixture(scope="module")
def messages(small_data):
    """The owner's encrypted training set and the server's model, as bytes, with the
    server's public context."""
    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=8192, bootstrapping=False)
    dataset = owner.encrypt(X, y)
    server = ckks.Context.from_bytes(owner.public_context_bytes())
    model = train_encrypted(server, dataset, progress=False)
    return server, dataset.to_bytes(), model.to_bytes()


def test_training_messages_round_trip(messages):
    server, dataset, model = messages
    assert EncryptedDataset.from_bytes(dataset, server).to_bytes() == dataset
    assert EncryptedModel.from_bytes(model, server).to_bytes() == model


def test_training_messages_refuse_truncated_or_altered_bytes(messages):
    # One flipped bit of the JSON header used to load as another plan (iterations 1 -> 9,
    # a step 0.117 -> 1.117) or escape as a KeyError: the whole message is digested now.
    server, dataset, model = messages
    _assert_all_refused(lambda d: EncryptedDataset.from_bytes(d, server), dataset, "EncryptedDataset.from_bytes")
    _assert_all_refused(lambda d: EncryptedModel.from_bytes(d, server), model, "EncryptedModel.from_bytes")
    header_end = 24 + int.from_bytes(dataset[16:20], "little")
    for pos in range(20, header_end, 7):  # every part of the header, not only 24 samples
        flipped = bytearray(dataset)
        flipped[pos] ^= 1 << (pos % 8)
        with pytest.raises(FormatError, match="corrupted"):
            EncryptedDataset.from_bytes(bytes(flipped), server)


def test_training_message_ciphertext_count_is_checked(messages):
    # A dropped or repeated ciphertext loaded and trained another model (fix review).
    server, dataset, _ = messages
    header, parts = container.unpack(dataset, "DATASET", "test")
    for bad in (parts[:-1], parts + parts[:1], []):
        with pytest.raises(FormatError, match="wrong ciphertext count"):
            EncryptedDataset.from_bytes(container.pack("DATASET", header, bad), server)


def test_a_json_integer_past_python_limits_is_a_format_error(messages):
    # int("9" * 5000) raises a plain ValueError (Python's 4300-digit limit).
    server, dataset, _ = messages
    header, parts = container.unpack(dataset, "DATASET", "test")
    text = container.pack("DATASET", header, parts)
    huge = text.replace(b'"slots": ', b'"slots": ' + b"9" * 5000 + b"0", 1)
    body = huge[:-32]
    import hashlib

    with pytest.raises(FormatError, match="malformed"):
        EncryptedDataset.from_bytes(body + hashlib.sha256(body).digest(), server)


def _repack_dataset(data: bytes, edit) -> bytes:
    header, parts = container.unpack(data, "DATASET", "test")
    edit(header)
    return container.pack("DATASET", header, parts)


@pytest.mark.parametrize("edit,match", [
    (lambda h: h["plan"].update(iterations=10**18), "'iterations'"),
    (lambda h: h["plan"].update(iterations=True), "'iterations'"),
    (lambda h: h["plan"].update(steps=h["plan"]["steps"][:-1]), "'steps'"),
    (lambda h: h["plan"].update(sigmoid_coeffs=["x"] * len(h["plan"]["sigmoid_coeffs"])), "'sigmoid_coeffs'"),
    (lambda h: h["plan"].update(sigmoid_method="meast_squares"), "'sigmoid_method'"),
    (lambda h: h["plan"].update(sigmoid_degree=4), "'sigmoid_degree'"),
    (lambda h: h["plan"].update(sigmoid_bound=-8.0), "'sigmoid_bound'"),
    (lambda h: h["plan"].update(steps_from_data=1), "'steps_from_data'"),
    (lambda h: h["plan"].update(extra=1), "'fields'"),
    (lambda h: h["plan"].pop("method"), "'fields'"),
    (lambda h: h.update(plan="text"), "'fields'"),
    (lambda h: h.update(features=h["features"] + 1), "layout"),
    (lambda h: h.update(slots="many"), "'slots'"),
    (lambda h: h.pop("slots"), "unexpected header"),
], ids=["iterations_huge", "iterations_bool", "short_steps", "text_coeffs", "sigmoid_method", "even_degree",
        "negative_bound", "flag_type", "extra_field", "missing_field", "plan_type", "features", "slots_type",
        "missing_slots"])
def test_training_message_refuses_well_formed_but_invalid_fields(messages, edit, match):
    # The digest is right here: each field is still checked, with a FormatError.
    server, dataset, _ = messages
    with pytest.raises(FormatError, match=match):
        EncryptedDataset.from_bytes(_repack_dataset(dataset, edit), server)


# ---------------------------------------------------------------------- key holders' contexts
def test_public_context_cannot_decrypt_and_says_to_import_the_key(owner_run, client, tmp_path):
    owner, model = owner_run
    owner.save_public_context(tmp_path / "public.ctx")
    public = load_public_context(tmp_path / "public.ctx")
    assert not public.is_private and public.galois_keys is not None
    with pytest.raises(ValueError, match="import"):
        public.decrypt(model.weights)
    ctx, _, _, scores = client
    save_public_context(ctx, tmp_path / "client.ctx")
    client_public = load_public_context(tmp_path / "client.ctx")
    theirs = EncryptedScores.from_bytes(scores.to_bytes(), client_public)
    with pytest.raises(ParameterError, match="import the secret key"):
        decrypt_scores(client_public, theirs)


def test_secret_context_round_trip(client, tmp_path):
    ctx, _, _, scores = client
    data = save_and_read_secret(ctx, tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "ctx.key").st_mode) == 0o600
    loaded = load_secret_context(tmp_path / "ctx.key")
    assert loaded.relin_key is None and loaded.galois_keys is None     # keys alone, not evaluation keys
    np.testing.assert_array_equal(decrypt_scores(loaded, scores), decrypt_scores(ctx, scores))
    def load(bad):
        (tmp_path / "bad.key").write_bytes(bad)
        return load_secret_context(tmp_path / "bad.key")

    _assert_all_refused(load, data, "load_secret_context")


def test_secret_context_refuses_a_key_of_another_key_set(client, tmp_path):
    ctx, *_ = client
    other = inference_context(8192, encrypted_model=False, output="score_flooded")
    header, parts = container.unpack(save_and_read_secret(ctx, tmp_path), "SECRETKY", "test")
    mixed = container.pack("SECRETKY", header, [parts[0], other.export_secret_key()])
    container.write_file(tmp_path / "mixed.key", mixed)
    with pytest.raises(FormatError, match="does not match its public key"):
        load_secret_context(tmp_path / "mixed.key")


# ---------------------------------------------------------------------- records and scores
def test_records_and_scores_round_trip(client):
    ctx, X, records, scores = client
    public = ckks.Context.from_bytes(ctx.to_bytes())
    theirs = EncryptedRecords.from_bytes(records.to_bytes(), public)      # server side
    assert (theirs.n_records, theirs.n_features) == (len(X), X.shape[1])
    np.testing.assert_array_equal(theirs.bounds, records.bounds)
    rescored = score_encrypted(theirs, (np.array([0.5, -1.0, 0.25]), 0.1), output="score")
    back = EncryptedScores.from_bytes(rescored.to_bytes(), ctx)          # client side
    assert (back.n_records, back.output) == (len(X), "score")
    np.testing.assert_allclose(decrypt_scores(ctx, back), X @ [0.5, -1.0, 0.25] + 0.1, atol=1e-4)
    again = EncryptedScores.from_bytes(scores.to_bytes(), ctx)
    np.testing.assert_array_equal(decrypt_scores(ctx, again), decrypt_scores(ctx, scores))


def test_records_and_scores_refuse_another_context(client):
    _, _, records, scores = client
    other = inference_context(8192, encrypted_model=False, output="score_flooded")   # same parameters, other keys
    with pytest.raises(MismatchError, match="bound to another context"):
        EncryptedRecords.from_bytes(records.to_bytes(), other)
    with pytest.raises(MismatchError, match="bound to another context"):
        EncryptedScores.from_bytes(scores.to_bytes(), other)
    longer = inference_context(8192, encrypted_model=False, output="label")        # other parameters
    assert longer.fingerprint != scores[0].context.fingerprint
    with pytest.raises(MismatchError, match="bound to another context"):
        EncryptedScores.from_bytes(scores.to_bytes(), longer)


def test_records_and_scores_refuse_bad_bytes(client):
    ctx, _, records, scores = client
    _assert_all_refused(lambda bad: EncryptedRecords.from_bytes(bad, ctx), records.to_bytes(), "EncryptedRecords")
    _assert_all_refused(lambda bad: EncryptedScores.from_bytes(bad, ctx), scores.to_bytes(), "EncryptedScores")
    header, parts = container.unpack(records.to_bytes(), "RECORDS", "test")
    with pytest.raises(FormatError, match="inconsistent counts"):
        EncryptedRecords.from_bytes(container.pack("RECORDS", dict(header, n_features=2), parts), ctx)
    with pytest.raises(FormatError, match="invalid bounds"):
        EncryptedRecords.from_bytes(container.pack("RECORDS", dict(header, bounds=[1.0, -1.0, 1.0]), parts), ctx)


def test_owner_file_of_a_2018_table_context_reloads():
    """Recheck: since from_bytes checks the 2024 table by default, the owner's own file
    of a context made under the 2018 table no longer loaded. It is trusted input (it
    holds the secret key) and loads as it was made."""
    from pyppml.ml.keys import secret_context_from_bytes, secret_context_to_bytes

    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[40, 40, 40, 36], special_mod_bits=[60],
                       security_standard="2018")
    ctx.keygen()
    back = secret_context_from_bytes(secret_context_to_bytes(ctx))
    x = np.linspace(-1, 1, 8)
    assert np.abs(back.decrypt(ctx.encrypt(x))[:8] - x).max() < 1e-6
    with pytest.raises(ValueError, match="security_standard"):
        ckks.Context.from_bytes(ctx.to_bytes())  # an untrusted sender's bytes: the 2024 table


def test_a_release_waits_for_the_owner_files_lock(small_data, tmp_path):
    """The count is re-read and written under an exclusive lock on the owner file: a
    release started while another holds the lock waits and decrypts nothing until it is
    let go (mutation audit 2026-12-08: without the flock call every test passed, the
    two-process test running its releases one after the other)."""
    import threading

    from pyppml.ml.file_lock import exclusive

    X, y = small_data
    owner = DataOwner(iterations=1, poly_degree=16384)
    dataset = owner.encrypt(X, y)
    path = tmp_path / "owner.key"
    owner.save(path)
    model = train_encrypted(owner.public_context(), dataset, progress=False).to_bytes()
    loaded = DataOwner.load(path)
    done = []
    with exclusive(path):
        worker = threading.Thread(target=lambda: done.append(loaded.release_model(model)))
        worker.start()
        worker.join(timeout=3.0)  # an unlocked release takes well under a second here
        assert worker.is_alive() and not done and loaded.context.releases_made == 0
    worker.join(timeout=120)
    assert len(done) == 1 and loaded.context.releases_made == 1
