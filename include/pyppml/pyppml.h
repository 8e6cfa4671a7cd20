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
#define PPML_ABI_VERSION_MAJOR 1
#define PPML_ABI_VERSION_MINOR 0

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
  PPML_ERR_INTERNAL = -8           /* a broken invariant inside the library (a bug) */
} ppml_status;

/* ---- library ------------------------------------------------------------------------ */

/* Message of the last failing call on this thread ("" if the last call succeeded). The
 * pointer stays valid until the next ppml_* call on the same thread. Never NULL. */
PPML_API const char* ppml_last_error(void);
/* (PPML_ABI_VERSION_MAJOR << 16) | PPML_ABI_VERSION_MINOR of the library loaded. */
PPML_API uint32_t ppml_abi_version(void);

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
 * 2 <= modulus < 2^61; inputs a, b in [0, modulus); out[i] in [0, modulus). out may alias
 * a or b. */
PPML_API int ppml_eltwise_add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
PPML_API int ppml_eltwise_sub_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
PPML_API int ppml_eltwise_mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t len,
                                  uint64_t modulus);
/* out = a * scalar mod modulus; scalar < modulus, a any 64-bit values (scalar = 1 reduces). */
PPML_API int ppml_eltwise_mul_scalar_mod(const uint64_t* a, uint64_t scalar, uint64_t* out, size_t len,
                                         uint64_t modulus);

/* PPML_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* PYPPML_PYPPML_H */
