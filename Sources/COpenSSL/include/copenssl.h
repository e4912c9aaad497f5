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
/* Keeps OpenSSL's DTLS retransmission timer just ahead of DTLSEndpoint's (1 s doubling to 8 s). */
void copenssl_dtls_follow_endpoint_timer(SSL *ssl);
/// Milliseconds until the DTLS retransmit timer fires, or -1 when no timer runs.
long copenssl_dtls_timeout_ms(SSL *ssl);
int copenssl_dtls_handle_timeout(SSL *ssl);
int copenssl_bio_set_mem_eof_return(BIO *bio, int value);

/// SHA-256 of `len` bytes into `out` (32 bytes). Returns 1 on success.
int copenssl_sha256(const unsigned char *data, size_t len, unsigned char *out);
/// MD5 of `len` bytes into `out` (16 bytes), for SIP digest authentication (RFC 2617/8760).
int copenssl_md5(const unsigned char *data, size_t len, unsigned char *out);
/// HMAC-SHA256 into `out` (32 bytes). Returns 1 on success.
int copenssl_hmac_sha256(const unsigned char *key, size_t key_len,
                         const unsigned char *data, size_t len, unsigned char *out);
/// HMAC-SHA1 into `out` (20 bytes). Returns 1 on success.
int copenssl_hmac_sha1(const unsigned char *key, size_t key_len,
                       const unsigned char *data, size_t len, unsigned char *out);
/// Cryptographically secure random bytes. Returns 1 on success.
int copenssl_random(unsigned char *out, size_t len);
/// Constant-time comparison. Returns 0 when equal.
int copenssl_memcmp(const void *a, const void *b, size_t len);

#endif

#ifndef COPENSSL_DTLS_H
#define COPENSSL_DTLS_H
/// Makes a P-256 key and a self-signed certificate valid for `days` days. Returns 1 on success.
int copenssl_make_certificate(const char *common_name, int days, EVP_PKEY **key_out, X509 **cert_out);
/// SHA-256 fingerprint of `cert` into `out` (32 bytes). Returns 1 on success.
int copenssl_certificate_sha256(X509 *cert, unsigned char *out);
/// A DTLS 1.2 context presenting `cert`/`key`, asking for the peer's certificate (checked by
/// fingerprint afterwards), offering use_srtp with `srtp_profiles`. NULL on failure.
SSL_CTX *copenssl_dtls_context(X509 *cert, EVP_PKEY *key, const char *srtp_profiles);
/// A BIO that keeps each write as one datagram, for DTLS output.
BIO *copenssl_datagram_bio_new(void);
/// Pops the oldest queued datagram into `out` (capacity `cap`); returns its length, 0 when none,
/// -1 when `cap` is too small (the datagram is dropped).
int copenssl_datagram_bio_pop(BIO *bio, unsigned char *out, int cap);
/// SHA-256 of the peer's certificate into `out`. Returns 1 when there is one.
int copenssl_peer_certificate_sha256(SSL *ssl, unsigned char *out);
/// The negotiated SRTP protection profile id (1 = AES128_CM_SHA1_80, 7 = AEAD_AES_128_GCM), 0 if none.
int copenssl_srtp_profile(SSL *ssl);
/// RFC 5764 keying material ("EXTRACTOR-dtls_srtp") into `out`. Returns 1 on success.
int copenssl_export_srtp_keys(SSL *ssl, unsigned char *out, size_t len);
/// The epoch-1 record keys of a finished handshake whose suite is AES-GCM, into `out` (capacity
/// `cap`, 72 is enough): client_write_key ‖ server_write_key ‖ client_write_IV (4) ‖
/// server_write_IV (4). Returns the key length (16 or 32), 0 for any other suite, -1 on error.
int copenssl_dtls_record_keys(SSL *ssl, unsigned char *out, size_t cap);
/// Opens one DTLS 1.2 AES-GCM record (`len` bytes: the 13-byte header, explicit nonce, cipher text,
/// tag) with `key` and the 4-byte implicit `salt`; the plaintext goes to `out`. Returns its length,
/// or -1 when the record is malformed or fails authentication.
int copenssl_dtls_gcm_open(const unsigned char *key, int key_len, const unsigned char *salt,
                           const unsigned char *record, int len, unsigned char *out, int cap);
/// Seals `plain` as one DTLS 1.2 AES-GCM record of `type` at `epoch` and 48-bit `sequence` into
/// `out`. Returns the record's length, or -1.
int copenssl_dtls_gcm_seal(const unsigned char *key, int key_len, const unsigned char *salt,
                           unsigned char type, uint16_t epoch, uint64_t sequence,
                           const unsigned char *plain, int plain_len, unsigned char *out, int cap);
#endif

#ifndef COPENSSL_SRTP_H
#define COPENSSL_SRTP_H
/// SRTP/SRTCP with AES_CM_128_HMAC_SHA1_80 (RFC 3711) over OpenSSL EVP, key schedules reused
/// per packet. One context serves one direction of one leg (any number of SSRCs, up to 16).
typedef struct copenssl_srtp copenssl_srtp;
/// `key_salt`: 16-byte master key followed by the 14-byte master salt. NULL on failure.
copenssl_srtp *copenssl_srtp_new(const unsigned char *key_salt);
void copenssl_srtp_free(copenssl_srtp *ctx);
/// Errors returned by the functions below (lengths are positive).
#define COPENSSL_SRTP_AUTH_FAIL (-1)
#define COPENSSL_SRTP_REPLAY (-2)
#define COPENSSL_SRTP_BAD_PACKET (-3)
#define COPENSSL_SRTP_NO_ROOM (-4)
/// Protects `len` bytes at `packet` in place (needs `cap` ≥ len + 10); returns the new length.
int copenssl_srtp_protect(copenssl_srtp *ctx, unsigned char *packet, int len, int cap);
int copenssl_srtp_unprotect(copenssl_srtp *ctx, unsigned char *packet, int len);
/// SRTCP: needs `cap` ≥ len + 14.
int copenssl_srtcp_protect(copenssl_srtp *ctx, unsigned char *packet, int len, int cap);
int copenssl_srtcp_unprotect(copenssl_srtp *ctx, unsigned char *packet, int len);
#endif
