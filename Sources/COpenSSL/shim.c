#include "copenssl.h"

int copenssl_ctx_set_dtls12_only(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION)
        && SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
}
int copenssl_ctx_set_read_ahead(SSL_CTX *ctx, int on) {
    SSL_CTX_set_read_ahead(ctx, on);
    return 1;
}
long copenssl_ctx_set_options(SSL_CTX *ctx, long options) {
    return (long)SSL_CTX_set_options(ctx, (uint64_t)options);
}
long copenssl_no_query_mtu(void) { return (long)SSL_OP_NO_QUERY_MTU; }
int copenssl_set_link_mtu(SSL *ssl, long mtu) { return (int)DTLS_set_link_mtu(ssl, mtu); }
int copenssl_set_mtu(SSL *ssl, long mtu) { return (int)SSL_set_mtu(ssl, mtu); }
long copenssl_dtls_timeout_ms(SSL *ssl) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return -1;
    return (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000;
}
int copenssl_dtls_handle_timeout(SSL *ssl) { return (int)DTLSv1_handle_timeout(ssl); }
int copenssl_bio_set_mem_eof_return(BIO *bio, int value) {
    return (int)BIO_set_mem_eof_return(bio, value);
}

int copenssl_sha256(const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int out_len = 0;
    return EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) == 1 && out_len == 32;
}
int copenssl_hmac_sha256(const unsigned char *key, size_t key_len,
                         const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int out_len = 0;
    return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) != NULL && out_len == 32;
}
int copenssl_random(unsigned char *out, size_t len) { return RAND_bytes(out, (int)len); }
int copenssl_memcmp(const void *a, const void *b, size_t len) { return CRYPTO_memcmp(a, b, len); }
