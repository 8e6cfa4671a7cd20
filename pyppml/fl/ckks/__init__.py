"""CKKS-encrypted aggregation, two protocols:

- :mod:`.committee`: under a committee's collective public key (multiparty RLWE);
  clients upload full ciphertexts (:mod:`.uploads`: packing, signing, the server's sum),
  members certify and decrypt the sum with flooding (:class:`CkksCommittee`,
  :func:`ckks_aggregate`).
- :mod:`.onetime`: under one-time keys whose seeds clients seal to a t-of-k committee;
  compact uploads, no flooding (:class:`OneTimeAggregator` and the state machines,
  :func:`run_onetime_loopback` over TCP).

Flower strategies for both: :mod:`pyppml.fl.flower.ckks`, :mod:`pyppml.fl.flower.onetime`.
"""

from pyppml.fl.ckks.committee import CkksCommittee, CommitteeMember, ckks_aggregate
from pyppml.fl.ckks.uploads import add_ciphertexts, encrypt_update, sign_upload
from pyppml.fl.ckks.onetime import OneTimeAggregator, OneTimeClient, OneTimeMember, OneTimeParams, OneTimeServer
from pyppml.fl.ckks.onetime.loopback import run_onetime_loopback

__all__ = ["CkksCommittee", "CommitteeMember", "OneTimeAggregator", "OneTimeClient", "OneTimeMember", "OneTimeParams",
           "OneTimeServer", "add_ciphertexts", "ckks_aggregate", "encrypt_update", "run_onetime_loopback",
           "sign_upload"]
