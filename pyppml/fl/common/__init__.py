"""What the three aggregation protocols and their drivers share: errors
(:mod:`.errors`), the byte messages (:mod:`.messages`), X25519 key agreement, AEAD and
mask expansion (:mod:`.masks`), replicated t-of-k key sharing (:mod:`.replicated`), the
committee's agreement on a round's client set (:mod:`.agreement`), the round report and
update checks (:mod:`.rounds`) and the loopback process plumbing (:mod:`.processes`)."""
