/*
 * AES-GCM bulk encryption and decryption with AES-NI and PCLMULQDQ, for mbedTLS 3.6.
 *
 * Stock mbedTLS 3.6 encrypts one counter block (mbedtls_aesni_crypt_ecb) and then multiplies
 * the GHASH state by H once (mbedtls_aesni_gcm_mult) for every 16 bytes, each step waiting for
 * the one before.  mg_gcm_x86_crypt() does the whole blocks of an mbedtls_gcm_update() call
 * eight at a time: eight independent AES-CTR chains, and GHASH aggregated over the eight
 * blocks with the powers H^1..H^8 (Karatsuba, three carry-less multiplications a block, one
 * reduction per eight blocks), as OpenSSL's and Intel's stitched AES-GCM code does.  Where
 * the CPU has VAES and VPCLMULQDQ, the same with two blocks in each 256-bit register.  Written
 * from the GCM specification (NIST SP 800-38D) and Gueron and Kounavis, "Intel Carry-Less
 * Multiplication Instruction and its Usage for Computing the GCM Mode" (reflected operands,
 * the 256-bit product shifted left by one bit, reduction modulo x^128 + x^7 + x^2 + x + 1).
 * Constant time: no branch and no memory address depends on the key or the data.
 *
 * Our patch platform/mbedtls/patches/0007-gcm-x86-aesni-pclmul.patch calls it from
 * library/gcm.c when the key is AES and the CPU has AES-NI, PCLMULQDQ and SSSE3 (CPUID,
 * checked once); partial blocks, other ciphers and other CPUs keep mbedTLS's code.  The
 * powers of H live in the context's HTable, which mbedTLS leaves unused when it multiplies
 * with PCLMULQDQ (it keeps H alone in slot 8): the context does not grow.
 *
 * Tests: tests/unit/test_gcm_x86.c (NIST vectors; every length 0-600 and random longer ones,
 * in random pieces, against mbedTLS's own path through mg_gcm_x86_enable(0)) and the
 * differential fuzzer tests/fuzz/fuzz_gcm_x86.c.
 */
#ifndef MG_GCM_X86_H
#define MG_GCM_X86_H

#include <stddef.h>
#include <stdint.h>

/* The layout of the 16-byte slots of mbedtls_gcm_context.H (MBEDTLS_GCM_HTABLE_SIZE slots,
 * 16 without MBEDTLS_GCM_LARGE_TABLE) when mg_gcm_x86_setkey() has filled it:
 * slots 0..7   H^1..H^8, byte-reflected (the order PCLMULQDQ multiplies in);
 * slot  8      H as mbedTLS keeps it (E_K(0^128)), which mbedtls_aesni_gcm_mult() uses;
 * slots 9..12  for Karatsuba, the XOR of the two 64-bit halves of each power, two a slot
 *              (H^1 and H^2 in slot 9, ... H^7 and H^8 in slot 12). */
#define MG_GCM_X86_H_SLOT     8
#define MG_GCM_X86_HTAB_SLOTS 13

/* Which code runs (CPUID, checked once): 0 mbedTLS's (no AES-NI, PCLMULQDQ or SSSE3);
 * 1 ours with 128-bit registers; 2 ours with 256-bit ones, when the CPU also has AVX2, VAES
 * and VPCLMULQDQ (Intel since Ice Lake, AMD since Zen 3) and the OS saves the AVX state. */
int mg_gcm_x86_use(void);

/* Selects the code (tests and benchmarks): <level> as above, capped at what the CPU has.
 * Returns the level used from now on.  Contexts keyed at level 0 keep mbedTLS's code for
 * their lifetime (their HTable holds mbedTLS's tables); the others follow the level. */
int mg_gcm_x86_enable(int level);

/* Fills the slots 0..7 and 9..12 of <htab> (see above) from H in slot 8. */
void mg_gcm_x86_setkey(unsigned char *htab);

/*
 * Encrypts (decrypt == 0) or decrypts <nblocks> whole 16-byte blocks of <in> into <out> in
 * counter mode and folds the ciphertext into the GHASH state, exactly as mbedTLS's block loop
 * in mbedtls_gcm_update() does:
 * <rk>, <nr>   the AES encryption round keys as AES-NI takes them (nr + 1 of 16 bytes;
 *              mbedtls_aes_context's buf + rk_offset) and the number of rounds (10, 12, 14);
 * <htab>       the table mg_gcm_x86_setkey() filled;
 * <y>          the counter block, incremented (its last 32 bits, modulo 2^32) before each
 *              block; left at the last block's counter;
 * <x>          the GHASH state (mbedtls_gcm_context.buf), whole: no pending partial block.
 * <out> may equal <in>, or start before it (not after it, overlapping).  Returns the number
 * of bytes done, 16 * nblocks.
 */
size_t mg_gcm_x86_crypt(const unsigned char *rk, int nr, const unsigned char *htab,
                        unsigned char y[16], unsigned char x[16], const unsigned char *in,
                        unsigned char *out, size_t nblocks, int decrypt);

#endif
