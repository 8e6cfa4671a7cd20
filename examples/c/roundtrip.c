/* A CKKS and a BFV round trip through pyppml's C ABI: keys, encode, encrypt, multiply,
 * relinearize (and rescale), decrypt, decode, checked against plain arithmetic.
 *
 * Build and run against the installed package (or a source checkout after ./dev-build.sh):
 *   D=$(python3 -c "import pyppml.capi as c; print(c.library_path().parent)")
 *   I=$(python3 -c "import pyppml.capi as c; print(c.include_dir())")
 *   cc -std=c99 -Wall -Wextra -I"$I" roundtrip.c -L"$D" -lpyppml_capi -Wl,-rpath,"$D" -lm -o roundtrip && ./roundtrip
 * (or `make` in this folder). Exit status 0 when both round trips are correct. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pyppml/pyppml.h"

/* Every call returns a status; on failure the thread's message says what and why. */
#define CHECK(call)                                                               \
  do {                                                                            \
    int status_ = (call);                                                         \
    if (status_ != PPML_OK) {                                                     \
      fprintf(stderr, "%s failed (%d): %s\n", #call, status_, ppml_last_error()); \
      exit(1);                                                                    \
    }                                                                             \
  } while (0)

static int ckks_round_trip(void) {
  const int q_bits[] = {38, 28}, p_bits[] = {38};
  ppml_context* ctx;
  ppml_secret_key* sk;
  ppml_public_key* pk;
  ppml_relin_key* rk;
  ppml_plaintext *pt, *out_pt;
  ppml_ciphertext *ct, *sq, *lin, *res;
  double x[8], y[2048];
  size_t needed, i;
  double worst = 0.0;

  CHECK(ppml_ckks_context_create(4096, q_bits, 2, p_bits, 1, 268435456.0 /* 2^28 */, 128, &ctx));
  CHECK(ppml_secret_key_generate(ctx, &sk));
  CHECK(ppml_public_key_generate(ctx, sk, &pk));
  CHECK(ppml_relin_key_generate(ctx, sk, &rk));
  for (i = 0; i < 8; ++i) x[i] = (double)i / 8.0 - 0.5;
  CHECK(ppml_ckks_encode(ctx, x, 8, 0.0 /* default scale */, -1 /* top level */, &pt));
  CHECK(ppml_encrypt(ctx, pk, pt, &ct));
  CHECK(ppml_multiply(ctx, ct, ct, &sq));
  CHECK(ppml_relinearize(ctx, sq, rk, &lin));
  CHECK(ppml_rescale(ctx, lin, &res));
  CHECK(ppml_decrypt(ctx, sk, res, &out_pt));
  CHECK(ppml_ckks_decode(ctx, out_pt, NULL, 0, &needed)); /* size query: 2048 slots */
  if (needed > sizeof y / sizeof y[0]) return 1;
  CHECK(ppml_ckks_decode(ctx, out_pt, y, needed, &needed));
  for (i = 0; i < 8; ++i) worst = fmax(worst, fabs(y[i] - x[i] * x[i]));
  printf("ckks: x^2 for %d slots, max error %.2e\n", 8, worst);

  /* The caller frees every handle it received (the secret key is wiped). */
  ppml_plaintext_free(pt);
  ppml_plaintext_free(out_pt);
  ppml_ciphertext_free(ct);
  ppml_ciphertext_free(sq);
  ppml_ciphertext_free(lin);
  ppml_ciphertext_free(res);
  ppml_relin_key_free(rk);
  ppml_public_key_free(pk);
  ppml_secret_key_free(sk);
  ppml_context_free(ctx);
  return worst < 1e-3 ? 0 : 1;
}

static int bfv_round_trip(void) {
  const int q_bits[] = {35, 35}, p_bits[] = {35};
  const uint64_t t = 65537; /* prime, 1 mod 2n: batching */
  ppml_context* ctx;
  ppml_secret_key* sk;
  ppml_public_key* pk;
  ppml_relin_key* rk;
  ppml_plaintext *pt, *out_pt;
  ppml_ciphertext *ct, *sq, *lin;
  uint64_t x[16], y[4096];
  size_t needed, i;
  int wrong = 0;

  CHECK(ppml_bfv_context_create(4096, t, q_bits, 2, p_bits, 1, 128, &ctx));
  CHECK(ppml_secret_key_generate(ctx, &sk));
  CHECK(ppml_public_key_generate(ctx, sk, &pk));
  CHECK(ppml_relin_key_generate(ctx, sk, &rk));
  for (i = 0; i < 16; ++i) x[i] = 1000 * i + 7;
  CHECK(ppml_bfv_encode(ctx, x, 16, &pt));
  CHECK(ppml_encrypt(ctx, pk, pt, &ct));
  CHECK(ppml_multiply(ctx, ct, ct, &sq));
  CHECK(ppml_relinearize(ctx, sq, rk, &lin));
  CHECK(ppml_decrypt(ctx, sk, lin, &out_pt));
  CHECK(ppml_bfv_decode(ctx, out_pt, y, sizeof y / sizeof y[0], &needed));
  for (i = 0; i < 16; ++i) wrong += y[i] != (x[i] * x[i]) % t;
  for (i = 16; i < needed; ++i) wrong += y[i] != 0;
  printf("bfv: x^2 mod %llu for %d slots, %d wrong\n", (unsigned long long)t, 16, wrong);

  ppml_plaintext_free(pt);
  ppml_plaintext_free(out_pt);
  ppml_ciphertext_free(ct);
  ppml_ciphertext_free(sq);
  ppml_ciphertext_free(lin);
  ppml_relin_key_free(rk);
  ppml_public_key_free(pk);
  ppml_secret_key_free(sk);
  ppml_context_free(ctx);
  return wrong == 0 ? 0 : 1;
}

int main(void) {
  const uint32_t v = ppml_abi_version();
  if ((v >> 16) != PPML_ABI_VERSION_MAJOR || (int)(v & 0xFFFF) < PPML_ABI_VERSION_MINOR) {
    fprintf(stderr, "libpyppml_capi ABI %u.%u, built for %d.%d\n", v >> 16, v & 0xFFFF, PPML_ABI_VERSION_MAJOR,
            PPML_ABI_VERSION_MINOR);
    return 2;
  }
  return ckks_round_trip() | bfv_round_trip();
}
