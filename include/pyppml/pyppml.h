/* pyppml C ABI: the stable boundary of the pyppml core for C, C++, Rust, Go and numba.
 *
 * Plain C99. Every function returns an int status (PPML_OK = 0, a negative ppml_status
 * otherwise) and, on failure, sets a thread-local one-line message read by
 * ppml_last_error(). Objects are opaque handles created by ppml_*_create / generators and
 * released by the matching ppml_*_free (NULL is accepted and ignored). Outputs of variable
 * size go to caller buffers given as pointer + length: pass NULL and 0 to learn the size
 * (written to *needed, status PPML_OK); a buffer too small gives PPML_ERR_BUFFER_TOO_SMALL
 * with *needed set. Reference: docs/capi.md (ownership, threads, versioning).
 */
#ifndef PYPPML_PYPPML_H
#define PYPPML_PYPPML_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define PPML_API __declspec(dllimport)
#elif defined(__GNUC__)
#define PPML_API __attribute__((visibility("default")))
#else
#define PPML_API
#endif

/* ABI version = (major << 16) | minor. A program built against major M runs on any library
 * with major M and minor >= the minor it was built with. */
#define PPML_ABI_VERSION_MAJOR 2
#define PPML_ABI_VERSION_MINOR 2

#ifdef __cplusplus
extern "C" {
#endif

/* The declarations between the two CDEF marker lines are also read by cffi (pyppml.capi),
 * with preprocessor lines and the PPML_API marker removed. */
/* PPML_CDEF_BEGIN */

typedef enum ppml_status {
  PPML_OK = 0,
  PPML_ERR_NULL_POINTER = -1,      /* a required pointer argument is NULL */
  PPML_ERR_INVALID_ARGUMENT = -2,  /* a value out of its documented range */
  PPML_ERR_INVALID_HANDLE = -3,    /* not a live handle of the expected kind (or freed) */
  PPML_ERR_BUFFER_TOO_SMALL = -4,  /* caller buffer shorter than *needed */
  PPML_ERR_FORMAT = -5,            /* malformed, truncated or foreign serialized bytes */
  PPML_ERR_MISMATCH = -6,          /* operands of different contexts, keys, levels or scales */
  PPML_ERR_OUT_OF_MEMORY = -7,
  PPML_ERR_INTERNAL = -8,          /* a broken invariant inside the library (a bug) */
  PPML_ERR_DECRYPTION = -9         /* BFV decryption past the noise budget: nothing is output. Key
                                      owner only: failures leak key bits, never show them to others */
} ppml_status;

/* ---- library ------------------------------------------------------------------------ */

/* Message of the last failing call on this thread ("" if the last call succeeded). The
 * pointer stays valid until the next ppml_* call on the same thread. Never NULL. */
PPML_API const char* ppml_last_error(void);
/* (PPML_ABI_VERSION_MAJOR << 16) | PPML_ABI_VERSION_MINOR of the library loaded. */
PPML_API uint32_t ppml_abi_version(void);
/* Process-wide settings of this library (separate from the Python module's, which holds
 * its own copy of the core). Both apply to the calls that start after the change.
 * Kernels: "auto" (the widest this CPU and build support), "scalar", "avx2" or "avx512";
 * every backend gives bit-identical results. Initially PYPPML_BACKEND, else "auto". An
 * unknown or unavailable name is PPML_ERR_INVALID_ARGUMENT. Since 2.1. */
PPML_API int ppml_set_backend(const char* name);
/* The backend the kernels use now: "scalar", "avx2" or "avx512" (a static string); ""
 * while PYPPML_BACKEND names no usable backend (every kernel call then fails with
 * PPML_ERR_INVALID_ARGUMENT naming it, until ppml_set_backend picks one). */
PPML_API const char* ppml_backend(void);
/* Threads of the parallel kernels, the calling thread included: 1 <= n <= 4096, else
 * PPML_ERR_INVALID_ARGUMENT. Results are bit-identical whatever n. Initially
 * PYPPML_NUM_THREADS, else the CPUs this process may run on. Since 2.1. */
PPML_API int ppml_set_num_threads(int n);
PPML_API int ppml_get_num_threads(void);

/* ---- ring: negacyclic NTT over Z_q[X]/(X^n + 1) ------------------------------------- */

typedef struct ppml_ntt_tables ppml_ntt_tables;

/* Tables for degree n (a power of two in [2, 2^17]) and a prime modulus < 2^61 with
 * modulus = 1 mod 2n. *out receives a new handle, freed with ppml_ntt_tables_free. */
PPML_API int ppml_ntt_tables_create(uint64_t n, uint64_t modulus, ppml_ntt_tables** out);
PPML_API void ppml_ntt_tables_free(ppml_ntt_tables* t);
/* n and modulus of the tables (either output pointer may be NULL). */
PPML_API int ppml_ntt_tables_info(const ppml_ntt_tables* t, uint64_t* n, uint64_t* modulus);
/* In place on len == n coefficients, each in [0, modulus); output in [0, modulus). Forward
 * output is in bit-reversed evaluation order, the order of pyppml.ring.NttTables.forward;
 * inverse takes that order back. */
PPML_API int ppml_ntt_forward(const ppml_ntt_tables* t, uint64_t* data, size_t len);
PPML_API int ppml_ntt_inverse(const ppml_ntt_tables* t, uint64_t* data, size_t len);

/* ---- ring: element-wise modular arithmetic on len words -------------------------------
 * 2 <= modulus < 2^61; inputs a, b in [0, modulus); out[i] in [0, modulus). out may be a
 * or b itself, but not overlap one shifted (PPML_ERR_INVALID_ARGUMENT). */
PPML_API int ppml_eltwise_add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
PPML_API int ppml_eltwise_sub_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
PPML_API int ppml_eltwise_mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
/* out = a * scalar mod modulus; scalar < modulus, a any 64-bit values (scalar = 1 reduces). */
PPML_API int ppml_eltwise_mul_scalar_mod(const uint64_t* a, uint64_t scalar, uint64_t* out, size_t len,
                                         uint64_t modulus);

/* ---- ring: RNS base conversion and automorphisms ----------------------------------- */

typedef struct ppml_base_converter ppml_base_converter;

typedef enum ppml_convert_mode {
  PPML_CONVERT_APPROX = 0,         /* x + alpha*Q, 0 <= alpha < from_count (fast, BEHZ16) */
  PPML_CONVERT_EXACT = 1,          /* x in [0, Q) (HPS18) */
  PPML_CONVERT_EXACT_CENTERED = 2  /* the centered lift of x in [-Q/2, Q/2) (HPS18) */
} ppml_convert_mode;

/* Converter from the base {from[i]} to the base {to[j]}: moduli in [2, 2^61), pairwise
 * coprime within each base, at most 256 each. Freed with ppml_base_converter_free. */
PPML_API int ppml_base_converter_create(const uint64_t* from, size_t from_count, const uint64_t* to,
                                        size_t to_count, ppml_base_converter** out);
PPML_API void ppml_base_converter_free(ppml_base_converter* c);
/* in: from_count limbs of n words, limb-major (in_len == from_count * n), limb i < from[i];
 * out: to_count limbs of n words (out_len == to_count * n), not overlapping in. mode: a
 * ppml_convert_mode. */
PPML_API int ppml_base_convert(const ppml_base_converter* c, const uint64_t* in, size_t in_len, uint64_t* out,
                               size_t out_len, size_t n, int mode);

typedef enum ppml_form { PPML_FORM_COEFFICIENT = 0, PPML_FORM_EVALUATION = 1 } ppml_form;

/* out = a(X^k) for one limb of n coefficients (n a power of two in [2, 2^17]) modulo
 * modulus, in coefficient form or in the evaluation order of ppml_ntt_forward; k odd
 * (negative k taken mod 2n). in values < modulus; out must not overlap in. */
PPML_API int ppml_automorphism(const uint64_t* in, uint64_t* out, size_t n, uint64_t modulus, int64_t k, int form);

/* ---- HE: contexts --------------------------------------------------------------------
 * A context holds one parameter set of one scheme. It is immutable after creation; keys,
 * plaintexts and ciphertexts are tied to it by a fingerprint, and every call checks that
 * its operands belong to the context passed (PPML_ERR_MISMATCH otherwise). */

typedef struct ppml_context ppml_context;
typedef struct ppml_secret_key ppml_secret_key;
typedef struct ppml_public_key ppml_public_key;
typedef struct ppml_relin_key ppml_relin_key;
typedef struct ppml_galois_keys ppml_galois_keys;
typedef struct ppml_plaintext ppml_plaintext;
typedef struct ppml_ciphertext ppml_ciphertext;

typedef enum ppml_scheme { PPML_SCHEME_CKKS = 1, PPML_SCHEME_BFV = 2 } ppml_scheme;

/* Security levels (the security and min_security arguments): 128, 192 or 256 bits, or
 * PPML_SECURITY_DEFAULT (0), which is 128 as for every other limit whose 0 is the default.
 * PPML_SECURITY_NONE turns the security-table check off: insecure parameters, tests only. */
typedef enum ppml_security { PPML_SECURITY_NONE = -1, PPML_SECURITY_DEFAULT = 0 } ppml_security;

/* Table of the largest log2(QP) per ring degree and level: the 2024 guidelines (ePrint
 * 2024/463, the default) or the 2018 HomomorphicEncryption.org standard (SEAL, OpenFHE). */
typedef enum ppml_security_standard { PPML_STANDARD_2024 = 0, PPML_STANDARD_2018 = 1 } ppml_security_standard;

/* Primes of the given bit sizes for degree poly_degree (q_bits: data primes q_0..q_L,
 * p_bits: special primes), chosen as pyppml.ckks.Context / SEAL do. security (a
 * ppml_security level) checks log2(QP) against the 2024 guidelines' table. CKKS: scale is
 * the default encoding scale (e.g. 2^40). BFV: plain_modulus t >= 2; a prime t = 1 mod 2n
 * enables batching (ppml_bfv_encode). */
PPML_API int ppml_ckks_context_create(uint64_t poly_degree, const int* q_bits, size_t q_count, const int* p_bits,
                                      size_t p_count, double scale, int security, ppml_context** out);
PPML_API int ppml_bfv_context_create(uint64_t poly_degree, uint64_t plain_modulus, const int* q_bits,
                                     size_t q_count, const int* p_bits, size_t p_count, int security,
                                     ppml_context** out);
PPML_API void ppml_context_free(ppml_context* ctx);
/* Any output pointer may be NULL. scheme: a ppml_scheme; max_level = number of data
 * primes - 1; plain_modulus: BFV's t (0 for CKKS); scale: CKKS default scale (0 for BFV). */
PPML_API int ppml_context_info(const ppml_context* ctx, int* scheme, uint64_t* poly_degree, int* max_level,
                               uint64_t* plain_modulus, double* scale);
/* The bytes of pyppml.{ckks,bfv}.Context.to_bytes(): parameters and the given public,
 * relinearization and Galois keys (each may be NULL: left out; never the secret key). */
PPML_API int ppml_context_export(const ppml_context* ctx, const ppml_public_key* pk, const ppml_relin_key* rk,
                                 const ppml_galois_keys* gk, uint8_t* buf, size_t capacity, size_t* needed);
/* Parses Context.to_bytes() output, which may come from an untrusted party: the stored
 * security level must be >= min_security (a ppml_security level; 0 is 128, and only
 * PPML_SECURITY_NONE accepts unchecked contexts), the modulus within the 2024 table
 * whatever table the bytes name, the ring degree <= max_poly_degree and the prime count
 * <= max_primes (0: 32768 and 64), all checked before anything is built. *ctx receives
 * the context; *pk, *rk, *gk (each out pointer may be NULL) receive the keys present, or
 * NULL. */
PPML_API int ppml_context_import(const uint8_t* data, size_t len, int min_security, uint64_t max_poly_degree,
                                 size_t max_primes, ppml_context** ctx, ppml_public_key** pk, ppml_relin_key** rk,
                                 ppml_galois_keys** gk);
/* ppml_context_import with the table the modulus is checked against: PPML_STANDARD_2024
 * (as ppml_context_import) or PPML_STANDARD_2018, which also accepts contexts made under
 * the 2018 table. A separate entry point, so that the 1.x signature above keeps its
 * arguments where programs built against it pass them. */
PPML_API int ppml_context_import_standard(const uint8_t* data, size_t len, int min_security, int security_standard,
                                          uint64_t max_poly_degree, size_t max_primes, ppml_context** ctx,
                                          ppml_public_key** pk, ppml_relin_key** rk, ppml_galois_keys** gk);

/* ---- HE: keys ------------------------------------------------------------------------- */

/* A fresh secret key from the library's CSPRNG (OS-seeded ChaCha20). Freeing it wipes it. */
PPML_API int ppml_secret_key_generate(const ppml_context* ctx, ppml_secret_key** out);
PPML_API int ppml_public_key_generate(const ppml_context* ctx, const ppml_secret_key* sk, ppml_public_key** out);
PPML_API int ppml_relin_key_generate(const ppml_context* ctx, const ppml_secret_key* sk, ppml_relin_key** out);
/* Keys for left rotations by each of steps[0..count) slots (CKKS: n/2 slots; BFV: both
 * rows of n/2), plus the conjugation / row-swap key (element 2n - 1) if conjugate != 0. */
PPML_API int ppml_galois_keys_generate(const ppml_context* ctx, const ppml_secret_key* sk, const int64_t* steps,
                                       size_t count, int conjugate, ppml_galois_keys** out);
PPML_API void ppml_secret_key_free(ppml_secret_key* sk);
PPML_API void ppml_public_key_free(ppml_public_key* pk);
PPML_API void ppml_relin_key_free(ppml_relin_key* rk);
PPML_API void ppml_galois_keys_free(ppml_galois_keys* gk);

/* Key bytes in the formats of Context.export_secret_key() / Context.key_to_bytes(). The
 * secret key's bytes are as secret as the key: the caller wipes its buffer. */
PPML_API int ppml_secret_key_export(const ppml_context* ctx, const ppml_secret_key* sk, uint8_t* buf,
                                    size_t capacity, size_t* needed);
PPML_API int ppml_secret_key_import(const ppml_context* ctx, const uint8_t* data, size_t len,
                                    ppml_secret_key** out);
/* PPML_OK when pk was made with sk (b + a s is the public key's small error), else
 * PPML_ERR_MISMATCH: a secret key imported from bytes is checked only for its format (the
 * checksum is no MAC). Since 2.1. */
PPML_API int ppml_secret_key_check(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_public_key* pk);
PPML_API int ppml_public_key_save(const ppml_context* ctx, const ppml_public_key* pk, uint8_t* buf, size_t capacity,
                                  size_t* needed);
PPML_API int ppml_public_key_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_public_key** out);
PPML_API int ppml_relin_key_save(const ppml_context* ctx, const ppml_relin_key* rk, uint8_t* buf, size_t capacity,
                                 size_t* needed);
PPML_API int ppml_relin_key_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_relin_key** out);
PPML_API int ppml_galois_keys_save(const ppml_context* ctx, const ppml_galois_keys* gk, uint8_t* buf,
                                   size_t capacity, size_t* needed);
PPML_API int ppml_galois_keys_load(const ppml_context* ctx, const uint8_t* data, size_t len,
                                   ppml_galois_keys** out);

/* ---- HE: encoding, encryption, decryption --------------------------------------------- */

/* CKKS: count <= n/2 finite real values into the slots (the rest 0), at scale (<= 0: the
 * context's default) and level (< 0: the top level). */
PPML_API int ppml_ckks_encode(const ppml_context* ctx, const double* values, size_t count, double scale, int level,
                              ppml_plaintext** out);
/* CKKS: the real parts of the n/2 slots. values may be NULL with capacity 0 (size query). */
PPML_API int ppml_ckks_decode(const ppml_context* ctx, const ppml_plaintext* pt, double* values, size_t capacity,
                              size_t* needed);
/* BFV (batching t): count <= n slot values, each in [0, t) (the rest 0). */
PPML_API int ppml_bfv_encode(const ppml_context* ctx, const uint64_t* values, size_t count, ppml_plaintext** out);
/* BFV: the n slot values, each in [0, t). */
PPML_API int ppml_bfv_decode(const ppml_context* ctx, const ppml_plaintext* pt, uint64_t* values, size_t capacity,
                             size_t* needed);
PPML_API int ppml_encrypt(const ppml_context* ctx, const ppml_public_key* pk, const ppml_plaintext* pt,
                          ppml_ciphertext** out);
PPML_API int ppml_encrypt_symmetric(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_plaintext* pt,
                                    ppml_ciphertext** out);
/* Key owner only: the result holds the encryption error, which depends on the key (CKKS
 * values that leave the owner: ppml_ckks_decrypt_for_release). BFV past the noise budget
 * (invariant noise >= 1/4) returns PPML_ERR_DECRYPTION and *out stays NULL; like the
 * result, never show that status to a party that chose the ciphertext. */
PPML_API int ppml_decrypt(const ppml_context* ctx, const ppml_secret_key* sk, const ppml_ciphertext* ct,
                          ppml_plaintext** out);
PPML_API void ppml_plaintext_free(ppml_plaintext* pt);

/* ---- CKKS: decryption for release (2.2) ------------------------------------------------ */

/* CKKS values that leave the key owner: the decrypted coefficients are flooded with an
 * exact discrete Gaussian of sigma >= sqrt(12 tau) 2^(s/2) B, added in Z_Q before any
 * rounding, then decoded and rounded to 2^-ceil(bits_of_precision); the real parts of the
 * n/2 slots are written (values may be NULL with capacity 0: a size query, which counts
 * nothing). noise_bound is B, a bound on every coefficient of the ciphertext's error
 * (coefficient units, >= 1; ppml_ckks_default_noise_bound covers a fresh encryption, one
 * key switch and one rescale, nothing more); security_bits is s (0: 40; else 40..128);
 * max_releases is tau (0: 1), the releases allowed under this key: each call counts one
 * (in this library, per key) and is refused beyond tau or with another tau than the
 * first. bits_of_precision above what the ciphertext's scale allows is refused
 * (PPML_ERR_INVALID_ARGUMENT, the message names the most it allows) before counting. */
PPML_API int ppml_ckks_decrypt_for_release(const ppml_context* ctx, const ppml_secret_key* sk,
                                           const ppml_ciphertext* ct, double bits_of_precision, double noise_bound,
                                           int security_bits, uint64_t max_releases, double* values,
                                           size_t capacity, size_t* needed);
/* B for a fresh public-key (or symmetric) encryption followed by at most one key switch and
 * one rescale, except with probability 2^-64 (coefficient units). */
PPML_API int ppml_ckks_default_noise_bound(const ppml_context* ctx, double* out);
/* The releases counted under sk in this library. */
PPML_API int ppml_ckks_releases_made(const ppml_context* ctx, const ppml_secret_key* sk, uint64_t* made);

/* ---- HE: evaluation (every result is a new ciphertext, freed by the caller) ----------- */

/* Operands at the same level (and, for CKKS, the same scale); a and b may be one handle. */
PPML_API int ppml_add(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b,
                      ppml_ciphertext** out);
PPML_API int ppml_sub(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b,
                      ppml_ciphertext** out);
/* Tensor product: a size-3 ciphertext (relinearize next). CKKS: the scales multiply. */
PPML_API int ppml_multiply(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_ciphertext* b,
                           ppml_ciphertext** out);
PPML_API int ppml_add_plain(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_plaintext* pt,
                            ppml_ciphertext** out);
PPML_API int ppml_multiply_plain(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_plaintext* pt,
                                 ppml_ciphertext** out);
PPML_API int ppml_relinearize(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_relin_key* rk,
                              ppml_ciphertext** out);
/* CKKS only: divide by the last prime of the level (one level down, scale / q_level). */
PPML_API int ppml_rescale(const ppml_context* ctx, const ppml_ciphertext* a, ppml_ciphertext** out);
/* Left rotation by steps slots (negative: right); needs a Galois key for steps. */
PPML_API int ppml_rotate(const ppml_context* ctx, const ppml_ciphertext* a, int64_t steps,
                         const ppml_galois_keys* gk, ppml_ciphertext** out);
/* CKKS: complex conjugation of the slots; BFV: swap of the two rows. */
PPML_API int ppml_conjugate(const ppml_context* ctx, const ppml_ciphertext* a, const ppml_galois_keys* gk,
                            ppml_ciphertext** out);
/* Any output pointer may be NULL. size: 2, or 3 after ppml_multiply. */
PPML_API int ppml_ciphertext_info(const ppml_ciphertext* ct, int* level, double* scale, size_t* size);
/* Bytes of Ciphertext.to_bytes() in Python, and back (checked against the context). */
PPML_API int ppml_ciphertext_save(const ppml_context* ctx, const ppml_ciphertext* ct, uint8_t* buf, size_t capacity,
                                  size_t* needed);
PPML_API int ppml_ciphertext_load(const ppml_context* ctx, const uint8_t* data, size_t len, ppml_ciphertext** out);
PPML_API void ppml_ciphertext_free(ppml_ciphertext* ct);

/* ---- differential privacy: exact integer noise ----------------------------------------
 * len samples into out from a fresh OS-seeded CSPRNG, exact for the rational parameter. */

/* P(k) ~ exp(-k^2 / (2 sigma^2)), sigma^2 = sigma2_num / sigma2_den; 1 <= sigma2_den <= 2^32,
 * 1 <= sigma2_num < 2^62. */
PPML_API int ppml_dp_discrete_gaussian(uint64_t sigma2_num, uint64_t sigma2_den, int64_t* out, size_t len);
/* P(k) ~ exp(-|k| / scale), scale = scale_num / scale_den (limits: docs/capi.md). */
PPML_API int ppml_dp_discrete_laplace(uint64_t scale_num, uint64_t scale_den, int64_t* out, size_t len);

/* ---- Shamir t-of-n secret sharing over p = 2^61 - 1 ----------------------------------- */

/* p = 2^61 - 1 (a value, not a status). */
PPML_API uint64_t ppml_shamir_prime(void);
/* Shares count secrets (each < p) among parties with threshold t: shares[(j - 1) * count +
 * c] = f_c(j) for party j = 1..parties (shares_len == parties * count), the layout of
 * pyppml.mpc.shamir_share. Any threshold shares reconstruct; fewer reveal nothing. */
PPML_API int ppml_shamir_share(const uint64_t* secrets, size_t count, size_t parties, size_t threshold,
                               uint64_t* shares, size_t shares_len);
/* From k shares: shares[i * count + c] held by party points[i] (distinct, nonzero), with
 * k >= the threshold used; secrets[c] in [0, p). */
PPML_API int ppml_shamir_reconstruct(const uint64_t* points, size_t k, const uint64_t* shares, size_t shares_len,
                                     size_t count, uint64_t* secrets);

/* PPML_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* PYPPML_PYPPML_H */
