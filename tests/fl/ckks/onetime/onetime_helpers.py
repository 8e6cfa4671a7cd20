"""Helpers shared by the one-time CKKS tests (a module of this folder, as mpc_jobs is)."""


def committee_round(server, members):
    """Verification, certification (plans with signing keys), then decryption shares
    from every member."""
    for j, r in server.verify_requests(range(len(members))).items():
        server.receive_verification(j, members[j].verify(r))
    for j, r in server.certify_requests(range(len(members))).items():
        server.receive_certification(j, members[j].certify(r))
    for j, r in server.decryption_requests(range(len(members))).items():
        server.receive_share(j, members[j].decryption_share(r))
