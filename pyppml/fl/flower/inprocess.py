"""A ``ServerApp`` and a ``ClientApp`` run together in this process, without Ray or a
deployment: :class:`InProcessGrid` is a Flower ``Grid`` that hands every message to a
node's ``ClientApp`` (mods included) with that node's ``Context`` (kept across rounds, as
a SuperNode keeps it), and :func:`run_apps` runs a ``ServerApp`` on it.

Each message and each reply is serialized with Flower's protobuf serde and parsed back,
so what runs is what a deployment would exchange (records that do not serialize fail
here too), and the grid counts messages and bytes per node. Flower's own simulation
(``flwr.simulation.run_simulation``) needs Ray; ``flwr run`` needs a SuperLink. Nodes
run one message at a time (a node's ClientApp is never called concurrently); an
exception in a ClientApp becomes an error reply, which Flower counts as that client's
failure.
"""

from __future__ import annotations

import threading
import time
import uuid

from flwr.app import Context, Error, Message, Metadata, RecordDict
from flwr.common.constant import ErrorCode
from flwr.common.serde import message_from_proto, message_to_proto
from flwr.proto.message_pb2 import Message as ProtoMessage  # pylint: disable=no-name-in-module
from flwr.serverapp import Grid
from flwr.supercore.run import Run


def _wire(msg: Message) -> bytes:
    return message_to_proto(msg).SerializeToString()


def _parse(data: bytes) -> Message:
    proto = ProtoMessage()
    proto.ParseFromString(data)
    return message_from_proto(proto)


class InProcessGrid(Grid):
    """A Flower ``Grid`` whose nodes are one ``ClientApp`` in this process.

    Parameters
    ----------
    client_app : flwr.clientapp.ClientApp
        The app every node runs (``ClientApp(client_fn, mods=[pyppml_mod])``).
    num_nodes : int
        Nodes, with ids ``1..num_nodes``; ``client_fn`` tells them apart by
        ``context.node_id`` or ``context.node_config``.
    node_configs : list of dict, optional
        Node ``i``'s node config (``node_configs[i - 1]``), as a SuperNode's
        ``--node-config`` sets it (e.g. ``pyppml-identity-key``).
    run_config : dict, optional
        The run config every Context carries.

    Attributes
    ----------
    traffic : dict
        Per node id: ``{"messages": n, "down": bytes, "up": bytes}`` -- messages the node
        answered and the serialized bytes of the messages and of its replies.

    Raises
    ------
    ParameterError
        ``num_nodes < 1`` or a ``node_configs`` list of another length.

    Examples
    --------
    >>> from flwr.clientapp import ClientApp
    >>> grid = InProcessGrid(ClientApp(client_fn=lambda context: None), 3)
    >>> sorted(grid.get_node_ids())
    [1, 2, 3]
    """

    def __init__(self, client_app, num_nodes: int, node_configs=None, run_config=None):
        from pyppml.fl.common.errors import ParameterError

        if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 1:
            raise ParameterError(f"InProcessGrid: num_nodes is out of range; expected an integer >= 1, got {num_nodes}")
        configs = list(node_configs) if node_configs is not None else [{} for _ in range(num_nodes)]
        if len(configs) != num_nodes:
            raise ParameterError(f"InProcessGrid: node_configs has the wrong length; expected {num_nodes} dicts, got "
                                 f"{len(configs)}")
        self.client_app = client_app
        self._run = Run.create_empty(1)
        self._contexts = {i + 1: Context(run_id=1, node_id=i + 1, node_config=dict(configs[i]), state=RecordDict(),
                                         run_config=dict(run_config or {})) for i in range(num_nodes)}
        self._lock = threading.Lock()  # one ClientApp call at a time, whichever node
        self._replies: dict[str, Message] = {}
        self._stats = threading.Lock()
        self.traffic = {nid: {"messages": 0, "down": 0, "up": 0} for nid in self._contexts}

    def set_run(self, run: Run) -> None:
        self._run = run

    @property
    def run(self) -> Run:
        return self._run

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None) -> Message:
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self):
        return list(self._contexts)

    def _deliver(self, msg: Message) -> tuple[str, Message]:
        """Send ``msg`` (given a fresh message id) to its node; its reply, both through protobuf."""
        m = msg.metadata
        meta = Metadata(run_id=m.run_id, message_id=uuid.uuid4().hex, src_node_id=m.src_node_id,
                        dst_node_id=m.dst_node_id, reply_to_message_id="", group_id=m.group_id,
                        created_at=m.created_at or time.time(), ttl=m.ttl, message_type=m.message_type)
        wire = _wire(Message(msg.content, metadata=meta))
        nid = m.dst_node_id
        incoming = _parse(wire)
        with self._lock:
            try:
                reply = self.client_app(incoming, self._contexts[nid])
            except Exception as err:  # noqa: BLE001 - a crashing ClientApp is that node's failure, as on a SuperNode
                reply = Message(Error(ErrorCode.CLIENT_APP_RAISED_EXCEPTION, f"{type(err).__name__}: {err}"),
                                reply_to=incoming)
        back = _wire(reply)
        with self._stats:
            t = self.traffic[nid]
            t["messages"] += 1
            t["down"] += len(wire)
            t["up"] += len(back)
        return meta.message_id, _parse(back)

    def push_messages(self, messages):
        ids = []
        for msg in messages:
            if msg.metadata.dst_node_id not in self._contexts:
                raise ValueError(f"InProcessGrid: dst_node_id is unknown; expected one of 1..{len(self._contexts)}, "
                                 f"got {msg.metadata.dst_node_id}")
            mid, reply = self._deliver(msg)
            with self._stats:
                self._replies[mid] = reply
            ids.append(mid)
        return ids

    def pull_messages(self, message_ids):
        with self._stats:
            return [self._replies.pop(m) for m in list(message_ids) if m in self._replies]

    def send_and_receive(self, messages, *, timeout=None):
        return self.pull_messages(self.push_messages(messages))


def run_apps(server_app, client_app, num_nodes: int, node_configs=None, run_config=None) -> InProcessGrid:
    """Run ``server_app`` (a ``flwr.server.ServerApp``, e.g. built with
    ``server_fn`` returning ``ServerAppComponents(strategy=..., config=...)``) against
    ``num_nodes`` nodes running ``client_app``, in this process; returns the grid (its
    ``traffic``). The strategy object holds the results (``history``, ``parameters``).

    Raises
    ------
    ParameterError
        Bad ``num_nodes`` / ``node_configs`` (:class:`InProcessGrid`); whatever the
        ServerApp raises.
    """
    grid = InProcessGrid(client_app, num_nodes, node_configs, run_config)
    server_app(grid, Context(run_id=1, node_id=0, node_config={}, state=RecordDict(), run_config=dict(run_config or {})))
    return grid


__all__ = ["InProcessGrid", "run_apps"]
