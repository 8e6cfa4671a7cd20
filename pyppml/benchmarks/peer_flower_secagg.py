"""Flower's own SecAgg+ as a peer of pyppml's (``pyppml bench fl --compare``): one real
round of ``flwr.server.workflow.SecAggPlusWorkflow`` (server) against clients that run
``ClientApp(mods=[secaggplus_mod])`` (Flower's client Mod), all in this process.

The workflow is driven the way Flower's ServerApp drives it: ``DefaultWorkflow`` with the
SecAgg+ workflow as its fit workflow, a ``LegacyContext`` holding a FedAvg strategy, and
a ``Grid``. The grid here is in memory: every message the server sends is serialized
with Flower's protobuf serde (``message_to_proto``), parsed again on the node's side,
handed to that node's ClientApp together with the node's ``Context`` (kept across the
four protocol stages, as a SuperNode keeps it), and the reply goes back the same way.

Measured:

* server seconds = wall time of the SecAgg+ fit workflow minus the time spent on the
  client side of the grid (parsing the request, the ClientApp and its Mod, serializing
  the reply). The server's protobuf serialization of requests and parsing of replies
  stays in (pyppml's server time also covers producing and parsing its messages), and is
  reported on its own as ``server_serde_us``, as is FedAvg's ``aggregate_fit``
  (``strategy_aggregate_us``), which the workflow calls at the end of the unmask stage.
* client upload = the byte length of the serialized ``Message`` protobuf of every reply a
  client sends, summed over the four stages (the largest per client is reported, as
  pyppml's benchmark does).
* correctness: Flower returns the num_examples-weighted mean (every client here has
  num_examples = 1); it must equal the plain mean of the survivors' updates within
  Flower's quantization error (one step of stochastic rounding plus the float32 rounding
  Flower's ``quantize`` does in the update's dtype), else RuntimeError.

Parameters are matched to pyppml's ``SecAggParams(n, dim)``: ``num_shares`` = k + 1
(Flower counts the client itself among its share holders, pyppml's k counts neighbours
only), ``reconstruction_threshold`` = pyppml's threshold, modulus 2^32, clipping range
1.0, and a quantization range of floor((2^32 - 1) / n) so that, as in pyppml's Quantizer,
the sum of n quantized updates uses the whole 32-bit ring without wrapping (the same
resolution, n / 2^31 per unit). ``max_weight`` = 1 so the weight factor does not cost
resolution. The global model sent with the fit instructions is a single float (the
clients ignore it), so the round carries no model broadcast, like pyppml's round.

Run directly: ``python -m pyppml.benchmarks.peer_flower_secagg --n 100 --dim 100000``.
"""

from __future__ import annotations

import logging
import time
import uuid

import numpy as np

CLIP = 1.0
MOD_RANGE = 1 << 32
# The largest round `pyppml bench fl --compare` runs in process: Flower's server holds
# every masked upload (int64) at once, about 10 bytes per entry of n x dim at peak
# (measured: 1 GB for 100 x 10^6), and its Shamir is pure Python (~60 ms per client).
MAX_ENTRIES = 10**8
LARGEST = (100, 1_000_000)


def flower_available() -> bool:
    try:
        import flwr  # noqa: F401
        from flwr.server.workflow import SecAggPlusWorkflow  # noqa: F401
        from flwr.client.mod import secaggplus_mod  # noqa: F401
    except ImportError:
        return False
    return True


def _update(seed: int, i: int, dim: int) -> np.ndarray:
    return np.random.default_rng(seed * 100003 + i).uniform(-1, 1, dim).astype(np.float32)


def _make_grid(apps: dict, contexts: dict, dropped_at_collect: set, timing: dict, upload: dict):
    """An in-memory ``Grid`` that delivers each message to its node's ClientApp."""
    from flwr.common.serde import message_from_proto, message_to_proto
    from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, Key, Stage
    from flwr.proto.message_pb2 import Message as ProtoMessage  # pylint: disable=no-name-in-module
    from flwr.serverapp.grid import Grid
    from flwr.supercore.run import Run

    class InProcessGrid(Grid):
        def __init__(self):
            self._run = Run.create_empty(1)
            self._replies: dict[str, object] = {}

        def set_run(self, run):
            self._run = run

        @property
        def run(self):
            return self._run

        def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
            from flwr.app import Message

            return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

        def get_node_ids(self):
            return list(apps)

        def push_messages(self, messages):
            ids = []
            for msg in messages:
                msg.metadata.__dict__["_message_id"] = str(uuid.uuid4())
                # server side: serialize the request (as the ServerApp / SuperLink would)
                t0 = time.perf_counter()
                wire = message_to_proto(msg).SerializeToString()
                timing["server_serde"] += time.perf_counter() - t0
                ids.append(msg.metadata.message_id)
                nid = msg.metadata.dst_node_id
                configs = msg.content.config_records.get(RECORD_KEY_CONFIGS)
                stage = configs.get(Key.STAGE) if configs is not None else None
                if nid in dropped_at_collect and stage == Stage.COLLECT_MASKED_VECTORS:
                    continue  # the node went away: no reply ever comes
                # node side: parse, run the ClientApp (Mods included), serialize the reply
                t0 = time.perf_counter()
                incoming = message_from_proto(_parse(ProtoMessage, wire))
                reply = apps[nid](incoming, contexts[nid])
                reply_wire = message_to_proto(reply).SerializeToString()
                timing["client"] += time.perf_counter() - t0
                upload[nid] = upload.get(nid, 0) + len(reply_wire)
                if stage is not None:
                    timing.setdefault(f"upload_{stage}", []).append(len(reply_wire))
                # server side: parse the reply
                t0 = time.perf_counter()
                self._replies[msg.metadata.message_id] = message_from_proto(_parse(ProtoMessage, reply_wire))
                timing["server_serde"] += time.perf_counter() - t0
            return ids

        def pull_messages(self, message_ids):
            return [self._replies.pop(m) for m in list(message_ids) if m in self._replies]

        def send_and_receive(self, messages, *, timeout=None):
            return self.pull_messages(self.push_messages(messages))

    return InProcessGrid()


def _parse(cls, data: bytes):
    proto = cls()
    proto.ParseFromString(data)
    return proto


def flower_secagg_round(n: int, dim: int, drop_frac: float = 0.0, seed: int = 0,
                        num_shares: int | None = None, threshold: int | None = None) -> dict:
    """One Flower SecAgg+ round for ``n`` clients with ``dim`` parameters; a fraction
    ``drop_frac`` of them drop out before uploading their masked vector (the stage where
    pyppml's benchmark drops them). ``num_shares`` / ``threshold`` default to pyppml's
    SecAggParams(n, dim) k + 1 and threshold."""
    import flwr
    from flwr.app import Context, RecordDict
    from flwr.client import NumPyClient
    from flwr.client.mod import secaggplus_mod
    from flwr.clientapp import ClientApp
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server import ServerConfig
    from flwr.server.compat.legacy_context import LegacyContext
    from flwr.server.strategy import FedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    from pyppml import fl

    p = fl.SecAggParams(n, dim)
    num_shares = p.neighbours + 1 if num_shares is None else num_shares
    threshold = p.threshold if threshold is None else threshold
    qrange = (MOD_RANGE - 1) // n

    rng = np.random.default_rng(seed)
    node_ids = [1000 + i for i in range(n)]  # Flower node ids; client i is node 1000 + i
    dropped = set(rng.choice(n, int(round(drop_frac * n)), replace=False).tolist())
    survivors = [i for i in range(n) if i not in dropped]
    expected = np.zeros(dim)
    for i in survivors:
        expected += _update(seed, i, dim)

    class Trivial(NumPyClient):
        def __init__(self, i):
            self.i = i

        def fit(self, parameters, config):
            return [_update(seed, self.i, dim)], 1, {}

    def app_for(i):
        def client_fn(context):
            return Trivial(i).to_client()

        return ClientApp(client_fn=client_fn, mods=[secaggplus_mod])

    apps = {nid: app_for(i) for i, nid in enumerate(node_ids)}
    contexts = {nid: Context(run_id=1, node_id=nid, node_config={}, state=RecordDict(), run_config={})
                for nid in node_ids}
    timing = {"client": 0.0, "server_serde": 0.0, "workflow": 0.0, "strategy": 0.0}
    upload: dict[int, int] = {}
    grid = _make_grid(apps, contexts, {node_ids[i] for i in dropped}, timing, upload)

    class TimedFedAvg(FedAvg):
        def aggregate_fit(self, server_round, results, failures):
            t0 = time.perf_counter()
            try:
                return super().aggregate_fit(server_round, results, failures)
            finally:
                timing["strategy"] += time.perf_counter() - t0

    model = ndarrays_to_parameters([np.zeros(1, np.float32)])  # the clients ignore it: no broadcast
    strategy = TimedFedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=n, min_evaluate_clients=0,
                           min_available_clients=n, initial_parameters=model,
                           fit_metrics_aggregation_fn=lambda metrics: {})
    secagg = SecAggPlusWorkflow(num_shares=num_shares, reconstruction_threshold=threshold, max_weight=1.0,
                                clipping_range=CLIP, quantization_range=qrange, modulus_range=MOD_RANGE)

    def timed_fit(grid_, context_):
        c0 = timing["client"]
        t0 = time.perf_counter()
        secagg(grid_, context_)
        timing["workflow"] += time.perf_counter() - t0
        timing["client_in_workflow"] = timing["client"] - c0

    context = LegacyContext(Context(run_id=1, node_id=0, node_config={}, state=RecordDict(), run_config={}),
                            config=ServerConfig(num_rounds=1), strategy=strategy)
    workflow = DefaultWorkflow(fit_workflow=timed_fit, evaluate_workflow=lambda grid_, context_: None)

    # The process-wide task identity a ServerApp process has (as flwr.server.compat's
    # start_grid sets it for the legacy API); messages the server creates carry it.
    from flwr.common.constant import SUPERLINK_NODE_ID
    from flwr.supercore.task_identity import TaskIdentity

    saved = (TaskIdentity._task_id, TaskIdentity._run_id, TaskIdentity._node_id)  # pylint: disable=protected-access
    TaskIdentity.task_id, TaskIdentity.run_id, TaskIdentity.node_id = 1, grid.run.run_id, SUPERLINK_NODE_ID
    logger = logging.getLogger("flwr")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        workflow(grid, context)
    finally:
        logger.setLevel(level)
        TaskIdentity.task_id, TaskIdentity.run_id, TaskIdentity.node_id = saved

    from flwr.compat.common import recorddict_compat as compat
    from flwr.server.workflow.constant import MAIN_PARAMS_RECORD

    params = parameters_to_ndarrays(compat.arrayrecord_to_parameters(context.state.array_records[MAIN_PARAMS_RECORD],
                                                                     keep_input=True))
    out = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in params])
    if out.size != dim:
        raise RuntimeError(f"flower secagg peer: the round did not complete (aggregate has {out.size} entries, "
                           f"expected {dim})")
    mean = expected / len(survivors)
    # Flower's quantization error per client: stochastic rounding (< one step) plus the
    # float32 roundings of x + clip and of (x + clip) * qrange / (2 clip), which Flower
    # computes in the update's own dtype (float32 here): half an ulp of 2 clip each,
    # 2 clip 2^-23 together.
    tol = 2 * CLIP / qrange + 2 * CLIP * 2.0 ** -23
    err_mean = float(np.abs(out - mean).max())
    if err_mean > tol:
        raise RuntimeError(f"flower secagg peer: aggregate is off by {err_mean} (> quantization error {tol})")
    server_s = timing["workflow"] - timing["client_in_workflow"]
    ups = [upload[node_ids[i]] for i in survivors]
    masked = timing.get("upload_collect_masked_vectors", [0])
    return {"server_s": server_s, "upload": max(ups), "masked_vector_upload": max(masked), "plain": 4 * dim,
            "num_shares": num_shares, "threshold": threshold, "neighbours": num_shares - 1,
            "survivors": len(survivors), "client_s": timing["client_in_workflow"] / n,
            "server_serde_s": timing["server_serde"], "strategy_aggregate_s": timing["strategy"],
            "max_err": err_mean * len(survivors), "quantization_range": qrange, "modulus_range": MOD_RANGE,
            "clipping_range": CLIP, "max_weight": 1.0, "flwr_version": flwr.__version__}


def record(n: int, dim: int, drop_frac: float, r: dict) -> dict:
    """The JSON-lines record for one round (harness.result fields)."""
    from pyppml.benchmarks.harness import result

    return result("flwr", "secagg", n, dim, f"server_round_drop{int(drop_frac * 100)}pct",
                  {"median_us": round(r["server_s"] * 1e6, 1), "runs": 1}, clients=n, params=dim,
                  neighbours=r["neighbours"], num_shares=r["num_shares"], threshold=r["threshold"],
                  survivors=r["survivors"], upload_bytes=r["upload"], masked_vector_bytes=r["masked_vector_upload"],
                  plaintext_bytes=r["plain"], upload_ratio=round(r["upload"] / r["plain"], 4),
                  client_us=round(r["client_s"] * 1e6, 1), server_serde_us=round(r["server_serde_s"] * 1e6, 1),
                  strategy_aggregate_us=round(r["strategy_aggregate_s"] * 1e6, 1), max_err=r["max_err"],
                  modulus_range=r["modulus_range"], quantization_range=r["quantization_range"],
                  clipping_range=r["clipping_range"], max_weight=r["max_weight"], model_broadcast=False,
                  in_process=True, flwr_version=r["flwr_version"])


if __name__ == "__main__":
    import argparse

    from pyppml.benchmarks.harness import emit

    ap = argparse.ArgumentParser(description="one Flower SecAgg+ round, in process")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--dim", type=int, default=100_000)
    ap.add_argument("--drop", type=float, default=0.0)
    a = ap.parse_args()
    emit(record(a.n, a.dim, a.drop, flower_secagg_round(a.n, a.dim, a.drop)))
