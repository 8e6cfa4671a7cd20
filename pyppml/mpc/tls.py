"""Mutually authenticated TLS for the channels between parties (standard library ``ssl``).

Every party holds a certificate issued by a CA that all parties trust for this computation,
naming its party id: by default the certificate carries the DNS name ``party-<id>`` in its
subject alternative names (``names`` maps ids to other names, e.g. real host names). Both
ends of each channel verify the chain to that CA and that the peer's certificate names
exactly the party id expected: the one it is connecting to, or the one a connecting peer
claims in its HELLO. A certificate naming two party ids (``party-1`` and ``party-2``) is
refused, so a party cannot act as another. TLS 1.3 only; no session tickets (no resumption is used).

What TLS adds over plain TCP: confidentiality and integrity of every frame, and party ids
that are proven rather than claimed. What it does not: the parties are still trusted to
follow the protocol (semi-honest), the CA is trusted not to issue a second certificate for
a party's name, and traffic volume and timing stay visible.

Examples
--------
>>> from pyppml.mpc.tls import PartyTls
>>> tls = PartyTls("ca.pem", "party-0.pem", "party-0.key")
>>> tls.name_of(1)
'party-1'
>>> # Party(0, addresses, tls=tls)  (each party with its own certificate and key)
"""

from __future__ import annotations

import dataclasses
import ssl
from typing import Mapping


@dataclasses.dataclass(frozen=True)
class PartyTls:
    """One party's TLS credentials and the names that identify every party.

    Parameters
    ----------
    ca_file : str
        PEM file of the CA certificate(s) that issued the parties' certificates; only
        these are trusted (not the system store).
    cert_file : str
        PEM file of this party's certificate (chain).
    key_file : str
        PEM file of its private key.
    names : mapping {id: str}, optional
        The DNS name (subject alternative name) each party id's certificate carries;
        default ``party-<id>``.
    """

    ca_file: str
    cert_file: str
    key_file: str
    names: Mapping[int, str] | None = None

    def name_of(self, party: int) -> str:
        """The certificate name that identifies ``party``."""
        if self.names is not None:
            return self.names[party]
        return f"party-{int(party)}"

    def ids_named(self, cert: dict | None, ids=()) -> set[int]:
        """The party ids whose name the peer certificate ``cert`` (as returned by
        ``SSLSocket.getpeercert()``) carries as a DNS subject alternative name: with the
        default names every ``party-<n>`` it carries (participants of this computation or
        not), with ``names`` every mapped id, else those among ``ids``."""
        if not cert:
            return set()
        dns = {value.lower() for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"}
        if self.names is None:
            # Canonical names only: "party-01" names no party (the client's host check
            # would not match it either).
            return {int(d[6:]) for d in dns if d.startswith("party-") and d[6:].isdigit() and d == f"party-{int(d[6:])}"}
        return {int(i) for i in set(self.names) | set(ids) if self.name_of(i).lower() in dns}

    def _context(self, purpose: int) -> ssl.SSLContext:
        ctx = ssl.SSLContext(purpose)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=self.ca_file)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def server_context(self) -> ssl.SSLContext:
        """Context of the listening side: requires and verifies a client certificate."""
        ctx = self._context(ssl.PROTOCOL_TLS_SERVER)
        ctx.num_tickets = 0
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """Context of the connecting side: verifies the server's chain and name."""
        ctx = self._context(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = True
        return ctx
