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

/* OpenSSL's DTLS retransmission timer, kept 100 ms ahead of the endpoint's own (1 s, doubling up to
   8 s) on the wall clock: when the endpoint's timer fires, OpenSSL's has run out, and
   DTLSv1_handle_timeout resends the last flight in fresh records (a peer drops records it has seen
   as replays, so the same bytes again cannot deliver a final flight's Finished). */
#define COPENSSL_DTLS_TIMER_LEAD_US 100000u
static unsigned int copenssl_dtls_timer(SSL *ssl, unsigned int previous_us) {
    (void)ssl;
    unsigned int endpoint_us = 1000000u;
    if (previous_us != 0) {
        endpoint_us = 2 * (previous_us + COPENSSL_DTLS_TIMER_LEAD_US);
        if (endpoint_us > 8000000u) endpoint_us = 8000000u;
    }
    return endpoint_us - COPENSSL_DTLS_TIMER_LEAD_US;
}
void copenssl_dtls_follow_endpoint_timer(SSL *ssl) { DTLS_set_timer_cb(ssl, copenssl_dtls_timer); }
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
int copenssl_md5(const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int out_len = 0;
    return EVP_Digest(data, len, out, &out_len, EVP_md5(), NULL) == 1 && out_len == 16;
}
int copenssl_hmac_sha256(const unsigned char *key, size_t key_len,
                         const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int out_len = 0;
    return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) != NULL && out_len == 32;
}
int copenssl_hmac_sha1(const unsigned char *key, size_t key_len,
                       const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int out_len = 0;
    return HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &out_len) != NULL && out_len == 20;
}
int copenssl_random(unsigned char *out, size_t len) { return RAND_bytes(out, (int)len); }
int copenssl_memcmp(const void *a, const void *b, size_t len) { return CRYPTO_memcmp(a, b, len); }

#include <openssl/ec.h>
#include <string.h>

int copenssl_make_certificate(const char *common_name, int days, EVP_PKEY **key_out, X509 **cert_out) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (!pctx || EVP_PKEY_keygen_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pctx, NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(pctx, &key) <= 0) {
        EVP_PKEY_CTX_free(pctx);
        return 0;
    }
    EVP_PKEY_CTX_free(pctx);
    X509 *cert = X509_new();
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    long s = 0;
    memcpy(&s, serial, sizeof s);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), s < 0 ? -s : s);
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -86400);
    X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, key, EVP_sha256()) <= 0) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return 0;
    }
    *key_out = key;
    *cert_out = cert;
    return 1;
}

int copenssl_certificate_sha256(X509 *cert, unsigned char *out) {
    unsigned int len = 0;
    return X509_digest(cert, EVP_sha256(), out, &len) == 1 && len == 32;
}

static int accept_any_certificate(int ok, X509_STORE_CTX *ctx) {
    (void)ok;
    (void)ctx;
    return 1;  // the peer is checked against the SDP fingerprint after the handshake
}

SSL_CTX *copenssl_dtls_context(X509 *cert, EVP_PKEY *key, const char *srtp_profiles) {
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx) return NULL;
    if (!copenssl_ctx_set_dtls12_only(ctx) || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles) != 0 ||
        SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    SSL_CTX_set_read_ahead(ctx, 1);
    /* No session is cached: WebRTC never resumes one, and a cached session (with the peer's
       certificate) would outlive its call for the cache's timeout. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* A write-only BIO queueing one datagram per write. */
#define DGRAM_QUEUE_MAX 64
typedef struct {
    unsigned char *data[DGRAM_QUEUE_MAX];
    int len[DGRAM_QUEUE_MAX];
    int head, count;
} dgram_queue;

static int dgram_write(BIO *bio, const char *buf, int len) {
    dgram_queue *q = BIO_get_data(bio);
    if (!q || len <= 0) return 0;
    if (q->count == DGRAM_QUEUE_MAX) return len;  // full: drop, the retransmit timer recovers
    unsigned char *copy = OPENSSL_malloc((size_t)len);
    if (!copy) return -1;
    memcpy(copy, buf, (size_t)len);
    int slot = (q->head + q->count) % DGRAM_QUEUE_MAX;
    q->data[slot] = copy;
    q->len[slot] = len;
    q->count++;
    return len;
}

static long dgram_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    dgram_queue *q = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_WPENDING: return q ? q->count : 0;
    case BIO_CTRL_PENDING: return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU: return 0;
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return 1200;
    default: return 0;
    }
}

static int dgram_create(BIO *bio) {
    dgram_queue *q = OPENSSL_zalloc(sizeof(dgram_queue));
    if (!q) return 0;
    BIO_set_data(bio, q);
    BIO_set_init(bio, 1);
    return 1;
}

static int dgram_destroy(BIO *bio) {
    dgram_queue *q = BIO_get_data(bio);
    if (q) {
        for (int i = 0; i < q->count; i++) OPENSSL_free(q->data[(q->head + i) % DGRAM_QUEUE_MAX]);
        OPENSSL_free(q);
    }
    BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *dgram_method(void) {
    static BIO_METHOD *method = NULL;
    if (!method) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "callgateway datagram queue");
        BIO_meth_set_write(m, dgram_write);
        BIO_meth_set_ctrl(m, dgram_ctrl);
        BIO_meth_set_create(m, dgram_create);
        BIO_meth_set_destroy(m, dgram_destroy);
        method = m;
    }
    return method;
}

BIO *copenssl_datagram_bio_new(void) { return BIO_new(dgram_method()); }

int copenssl_datagram_bio_pop(BIO *bio, unsigned char *out, int cap) {
    dgram_queue *q = BIO_get_data(bio);
    if (!q || q->count == 0) return 0;
    unsigned char *data = q->data[q->head];
    int len = q->len[q->head];
    q->head = (q->head + 1) % DGRAM_QUEUE_MAX;
    q->count--;
    int result = len <= cap ? len : -1;
    if (result > 0) memcpy(out, data, (size_t)len);
    OPENSSL_free(data);
    return result;
}

int copenssl_peer_certificate_sha256(SSL *ssl, unsigned char *out) {
    X509 *peer = SSL_get1_peer_certificate(ssl);
    if (!peer) return 0;
    int ok = copenssl_certificate_sha256(peer, out);
    X509_free(peer);
    return ok;
}

int copenssl_srtp_profile(SSL *ssl) {
    SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(ssl);
    return profile ? (int)profile->id : 0;
}

int copenssl_export_srtp_keys(SSL *ssl, unsigned char *out, size_t len) {
    static const char label[] = "EXTRACTOR-dtls_srtp";
    return SSL_export_keying_material(ssl, out, len, label, sizeof label - 1, NULL, 0, 0) == 1;
}
