#ifndef COPENSSL_H
#define COPENSSL_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>

// Functions over OpenSSL macros (SSL_CTX_ctrl and friends) that Swift cannot call.

int copenssl_ctx_set_dtls12_only(SSL_CTX *ctx);
int copenssl_ctx_set_read_ahead(SSL_CTX *ctx, int on);
long copenssl_ctx_set_options(SSL_CTX *ctx, long options);
long copenssl_no_query_mtu(void);
int copenssl_set_link_mtu(SSL *ssl, long mtu);
int copenssl_set_mtu(SSL *ssl, long mtu);
/// Milliseconds until the DTLS retransmit timer fires, or -1 when no timer runs.
long copenssl_dtls_timeout_ms(SSL *ssl);
int copenssl_dtls_handle_timeout(SSL *ssl);
int copenssl_bio_set_mem_eof_return(BIO *bio, int value);

/// SHA-256 of `len` bytes into `out` (32 bytes). Returns 1 on success.
int copenssl_sha256(const unsigned char *data, size_t len, unsigned char *out);
/// HMAC-SHA256 into `out` (32 bytes). Returns 1 on success.
int copenssl_hmac_sha256(const unsigned char *key, size_t key_len,
                         const unsigned char *data, size_t len, unsigned char *out);
/// Cryptographically secure random bytes. Returns 1 on success.
int copenssl_random(unsigned char *out, size_t len);
/// Constant-time comparison. Returns 0 when equal.
int copenssl_memcmp(const void *a, const void *b, size_t len);

#endif
