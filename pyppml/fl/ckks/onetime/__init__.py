"""CKKS aggregation under one-time keys held by a committee.

Why: under a collective *public* key (:mod:`pyppml.fl.ckks.committee`) a client uploads both
halves of each ciphertext, and the committee's decryption must flood noise that depends
on the long-term key by 2^40, which costs ~100-bit coefficients: ~8x the float32 update.
Here every client encrypts symmetrically under a fresh key, so

- the a-half of each ciphertext is the round's public reference string: a client uploads
  one polynomial per n reals, bit-packed at the modulus width;
- a key is used for one round only, and decryption reveals only the sum's fresh noise
  (no key-dependent term), so no flooding is needed: each real takes one coefficient,
  round(scale * x), and a ~38-bit modulus holds 100 summed updates at 2^-20 precision,
  i.e. ~1.2x the float32 update. That encoding is additive on the distributed-DP grid, so
  the decrypted coefficients are the encoding of the sum plus fresh noise, whatever the
  split between clients (slot encoding left each client's rounding in them: review
  2026-12-08);
- the committee holds the keys through replicated secret sharing of the key parts
  (``threshold`` of ``members`` decrypt, fewer learn nothing), each client sealing the
  parts' 32-byte seeds to the members that hold them (X25519 + ChaCha20-Poly1305);
- clients that drop cost nothing (no recovery round); members that drop are replaced by
  other holders of their parts.

Trust model: honest-but-curious server and members; confidentiality of an individual
update holds against the server together with up to ``threshold - 1`` members and any
set of clients that leaves at least two honest clients in the sum. Why: with the parts
the coalition lacks, each honest upload is an RLWE sample under a ternary one-time key;
the shares and the sum relate those samples only through the sum of their fresh noises
(keys never enter the decryption noise, and none is used twice), and conditioning one
client's noise (discrete Gaussian, variance 21) on a sum with at least as much other
noise (at least one honest member adds its own) leaves variance >= 10.5, the RLWE error
of the standard HE parameters: exact for continuous Gaussians, and within negligible
statistical distance for discrete ones this far above the smoothing parameter of Z
(Peikert 2010, convolution of discrete Gaussians). Members decrypt each round's sum once and only
for one client set of at least ``min_clients``; with ``threshold < members`` they first
agree on that set: each signs (plan, round, U) once, and a share is released only against
ceil((members + threshold) / 2) signatures on the same U, so that two holders of a key
part can never be made to answer over different sets (:mod:`pyppml.fl.common.agreement`; the plan names
every member's Ed25519 key, and certification needs that many live members). The plan's
digest enters the sealing of the seeds, so a client handed another plan (a lower
threshold, other keys) seals seeds that honest members cannot open. Malformed, foreign,
replayed or forged messages are refused. Rounds are signed by default: every client has
an Ed25519 identity key whose public half the members pin, signs its round key with it,
and members count no other client, so the server cannot add sybil clients of its own.
Unsigned rounds (``signed=False``, an explicit opt-in) void the guarantee above: the
server alone uploads zeros for sybil clients next to one victim's upload and the
members decrypt the victim's update. A malicious client can still poison the sum (as in any FedAvg
without input proofs).
"""

from pyppml.fl.ckks.onetime.client import OneTimeClient
from pyppml.fl.ckks.onetime.member import OneTimeMember
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.ckks.onetime.server import OneTimeServer
from pyppml.fl.ckks.onetime.simulator import OneTimeAggregator

__all__ = ["OneTimeAggregator", "OneTimeClient", "OneTimeMember", "OneTimeParams", "OneTimeServer"]
