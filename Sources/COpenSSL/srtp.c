/* AES_CM_128_HMAC_SHA1_80 SRTP and SRTCP (RFC 3711) over OpenSSL EVP. Checked byte for byte
 * against libsrtp2 by Tests/SRTPTests. */
#include "copenssl.h"
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define STREAMS 16
/* A leg's streams are almost always one or two (audio, video): those live in the context; the
   third SSRC brings a table for the rest (64 bytes each: 900 bytes a context saved otherwise). */
#define INLINE_STREAMS 2
#define TAG 10

typedef struct {
    uint32_t ssrc;
    int used;
    uint32_t roc;
    uint16_t s_l;
    uint64_t highest;  /* highest index accepted (receiver) */
    uint64_t window;   /* bit i: highest - i was received */
    uint32_t rtcp_index;
    uint32_t rtcp_highest;
    uint64_t rtcp_window;
    int rtcp_seen;
} stream_state;

/* HMAC-SHA1 (RFC 2104) is kept as the SHA-1 states after the key's inner and outer pad blocks,
 * copied by value for each packet: OpenSSL 3's HMAC_Init_ex and HMAC_Final duplicate their digest
 * context on the heap at every call, two allocations per packet. */
typedef struct {
    EVP_CIPHER_CTX *cipher;
    SHA_CTX inner;
    SHA_CTX outer;
    unsigned char salt[14];
} session_keys;

struct copenssl_srtp {
    session_keys rtp, rtcp;
    stream_state inline_streams[INLINE_STREAMS];
    stream_state *more; /* STREAMS - INLINE_STREAMS more, or NULL until a third SSRC comes */
    int last;           /* the stream of the previous packet: almost always this packet's too */
};

static stream_state *stream_at(copenssl_srtp *ctx, int i) {
    return i < INLINE_STREAMS ? &ctx->inline_streams[i] : ctx->more ? &ctx->more[i - INLINE_STREAMS] : NULL;
}

static int derive(const unsigned char *key, const unsigned char *salt, unsigned char label, unsigned char *out, int len) {
    unsigned char iv[16] = {0};
    unsigned char zeros[32] = {0};
    memcpy(iv, salt, 14);
    iv[7] ^= label;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
                    EVP_EncryptUpdate(c, out, &n, zeros, len) == 1 && n == len;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static void mac_init(session_keys *k, const unsigned char *key, size_t len) {
    unsigned char block[SHA_CBLOCK] = {0};
    memcpy(block, key, len);
    for (int i = 0; i < SHA_CBLOCK; i++) block[i] ^= 0x36;
    SHA1_Init(&k->inner);
    SHA1_Update(&k->inner, block, SHA_CBLOCK);
    for (int i = 0; i < SHA_CBLOCK; i++) block[i] ^= 0x36 ^ 0x5c;
    SHA1_Init(&k->outer);
    SHA1_Update(&k->outer, block, SHA_CBLOCK);
    OPENSSL_cleanse(block, sizeof block);
}

static int keys_init(session_keys *k, const unsigned char *mk, const unsigned char *ms, unsigned char base) {
    unsigned char ke[16], ka[20];
    if (!derive(mk, ms, base, ke, 16) || !derive(mk, ms, base + 1, ka, 20) || !derive(mk, ms, base + 2, k->salt, 14))
        return 0;
    mac_init(k, ka, sizeof ka);
    OPENSSL_cleanse(ka, sizeof ka);
    k->cipher = EVP_CIPHER_CTX_new();
    int ok = k->cipher && EVP_EncryptInit_ex(k->cipher, EVP_aes_128_ctr(), NULL, ke, NULL) == 1;
    OPENSSL_cleanse(ke, sizeof ke);
    return ok;
}

copenssl_srtp *copenssl_srtp_new(const unsigned char *key_salt) {
    copenssl_srtp *ctx = OPENSSL_zalloc(sizeof *ctx);
    if (!ctx) return NULL;
    if (!keys_init(&ctx->rtp, key_salt, key_salt + 16, 0) || !keys_init(&ctx->rtcp, key_salt, key_salt + 16, 3)) {
        copenssl_srtp_free(ctx);
        return NULL;
    }
    return ctx;
}

void copenssl_srtp_free(copenssl_srtp *ctx) {
    if (!ctx) return;
    EVP_CIPHER_CTX_free(ctx->rtp.cipher);
    EVP_CIPHER_CTX_free(ctx->rtcp.cipher);
    if (ctx->more) OPENSSL_clear_free(ctx->more, sizeof(stream_state) * (STREAMS - INLINE_STREAMS));
    OPENSSL_clear_free(ctx, sizeof *ctx);
}

static stream_state *stream_for(copenssl_srtp *ctx, uint32_t ssrc) {
    stream_state *last = stream_at(ctx, ctx->last);
    if (last->used && last->ssrc == ssrc) return last;
    int streams = ctx->more ? STREAMS : INLINE_STREAMS;
    for (int i = 0; i < streams; i++) {
        stream_state *s = stream_at(ctx, i);
        if (s->used && s->ssrc == ssrc) {
            ctx->last = i;
            return s;
        }
    }
    for (int i = 0; i < STREAMS; i++) {
        if (i == INLINE_STREAMS && !ctx->more) {
            ctx->more = OPENSSL_zalloc(sizeof(stream_state) * (STREAMS - INLINE_STREAMS));
            if (!ctx->more) return NULL;
        }
        stream_state *s = stream_at(ctx, i);
        if (!s->used) {
            memset(s, 0, sizeof(stream_state));
            s->used = 1;
            s->ssrc = ssrc;
            ctx->last = i;
            return s;
        }
    }
    return NULL;
}

static uint32_t load32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int rtp_header_length(const unsigned char *p, int len) {
    if (len < 12 || (p[0] >> 6) != 2) return -1;
    int n = 12 + 4 * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (len < n + 4) return -1;
        n += 4 + 4 * ((p[n + 2] << 8) | p[n + 3]);
    }
    return n <= len ? n : -1;
}

/* RFC 3711 §3.3.1: the ROC guessed for `seq` given the stream's state. */
static uint32_t guess_roc(const stream_state *s, uint16_t seq, int initialized) {
    if (!initialized) return 0;
    if (s->s_l < 32768) return (seq - s->s_l > 32768) ? s->roc - 1 : s->roc;
    return (s->s_l - 32768 > seq) ? s->roc + 1 : s->roc;
}

static int crypt(session_keys *k, unsigned char *data, int n, uint32_t ssrc, uint64_t index) {
    unsigned char iv[16] = {0};
    memcpy(iv, k->salt, 14);
    iv[4] ^= ssrc >> 24; iv[5] ^= ssrc >> 16; iv[6] ^= ssrc >> 8; iv[7] ^= ssrc;
    for (int i = 0; i < 6; i++) iv[8 + i] ^= (unsigned char)(index >> (40 - 8 * i));
    int out = 0;
    return EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, iv) == 1 && EVP_EncryptUpdate(k->cipher, data, &out, data, n) == 1;
}

static int tag(session_keys *k, const unsigned char *data, int n, const unsigned char *extra, int extra_len, unsigned char *out) {
    unsigned char inner[SHA_DIGEST_LENGTH], mac[SHA_DIGEST_LENGTH];
    SHA_CTX c = k->inner;
    int ok = SHA1_Update(&c, data, (size_t)n) == 1 && (extra_len == 0 || SHA1_Update(&c, extra, (size_t)extra_len) == 1) &&
             SHA1_Final(inner, &c) == 1;
    c = k->outer;
    ok = ok && SHA1_Update(&c, inner, sizeof inner) == 1 && SHA1_Final(mac, &c) == 1;
    if (ok) memcpy(out, mac, TAG);
    return ok;
}

int copenssl_srtp_protect(copenssl_srtp *ctx, unsigned char *p, int len, int cap) {
    int header = rtp_header_length(p, len);
    if (header < 0) return COPENSSL_SRTP_BAD_PACKET;
    if (cap < len + TAG) return COPENSSL_SRTP_NO_ROOM;
    stream_state *s = stream_for(ctx, load32(p + 8));
    if (!s) return COPENSSL_SRTP_BAD_PACKET;
    uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
    int initialized = s->highest != 0 || s->window != 0;
    uint32_t roc = guess_roc(s, seq, initialized);
    uint64_t index = ((uint64_t)roc << 16) | seq;
    if (!initialized || index > s->highest) {
        s->highest = index;
        s->roc = roc;
        s->s_l = seq;
        s->window |= 1;
    }
    if (!crypt(&ctx->rtp, p + header, len - header, s->ssrc, index)) return COPENSSL_SRTP_BAD_PACKET;
    unsigned char r[4] = {roc >> 24, roc >> 16, roc >> 8, roc};
    if (!tag(&ctx->rtp, p, len, r, 4, p + len)) return COPENSSL_SRTP_BAD_PACKET;
    return len + TAG;
}

int copenssl_srtp_unprotect(copenssl_srtp *ctx, unsigned char *p, int len) {
    if (len < 12 + TAG) return COPENSSL_SRTP_BAD_PACKET;
    int body = len - TAG;
    int header = rtp_header_length(p, body);
    if (header < 0) return COPENSSL_SRTP_BAD_PACKET;
    stream_state *s = stream_for(ctx, load32(p + 8));
    if (!s) return COPENSSL_SRTP_BAD_PACKET;
    uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
    int initialized = s->window != 0;
    uint32_t roc = guess_roc(s, seq, initialized);
    uint64_t index = ((uint64_t)roc << 16) | seq;
    if (initialized && index <= s->highest) {
        uint64_t behind = s->highest - index;
        if (behind >= 64 || (s->window >> behind) & 1) return COPENSSL_SRTP_REPLAY;
    }
    unsigned char r[4] = {roc >> 24, roc >> 16, roc >> 8, roc}, expected[TAG];
    if (!tag(&ctx->rtp, p, body, r, 4, expected) || CRYPTO_memcmp(expected, p + body, TAG) != 0)
        return COPENSSL_SRTP_AUTH_FAIL;
    if (!crypt(&ctx->rtp, p + header, body - header, s->ssrc, index)) return COPENSSL_SRTP_BAD_PACKET;
    if (!initialized || index > s->highest) {
        uint64_t ahead = initialized ? index - s->highest : 0;
        s->window = ahead >= 64 ? 1 : (s->window << ahead) | 1;
        s->highest = index;
        s->roc = roc;
        s->s_l = seq;
    } else {
        s->window |= (uint64_t)1 << (s->highest - index);
    }
    return body;
}

int copenssl_srtcp_protect(copenssl_srtp *ctx, unsigned char *p, int len, int cap) {
    if (len < 8 || (p[0] >> 6) != 2) return COPENSSL_SRTP_BAD_PACKET;
    if (cap < len + 4 + TAG) return COPENSSL_SRTP_NO_ROOM;
    stream_state *s = stream_for(ctx, load32(p + 4));
    if (!s) return COPENSSL_SRTP_BAD_PACKET;
    /* libsrtp2 numbers SRTCP packets from 1. */
    s->rtcp_index = (s->rtcp_index + 1) & 0x7fffffff;
    uint32_t index = s->rtcp_index;
    if (!crypt(&ctx->rtcp, p + 8, len - 8, s->ssrc, index)) return COPENSSL_SRTP_BAD_PACKET;
    uint32_t e_index = 0x80000000u | index;
    p[len] = e_index >> 24; p[len + 1] = e_index >> 16; p[len + 2] = e_index >> 8; p[len + 3] = e_index;
    if (!tag(&ctx->rtcp, p, len + 4, NULL, 0, p + len + 4)) return COPENSSL_SRTP_BAD_PACKET;
    return len + 4 + TAG;
}

int copenssl_srtcp_unprotect(copenssl_srtp *ctx, unsigned char *p, int len) {
    if (len < 8 + 4 + TAG || (p[0] >> 6) != 2) return COPENSSL_SRTP_BAD_PACKET;
    int body = len - TAG - 4;
    stream_state *s = stream_for(ctx, load32(p + 4));
    if (!s) return COPENSSL_SRTP_BAD_PACKET;
    uint32_t e_index = load32(p + body);
    uint32_t index = e_index & 0x7fffffff;
    if (s->rtcp_seen && index <= s->rtcp_highest) {
        uint32_t behind = s->rtcp_highest - index;
        if (behind >= 64 || (s->rtcp_window >> behind) & 1) return COPENSSL_SRTP_REPLAY;
    }
    unsigned char expected[TAG];
    if (!tag(&ctx->rtcp, p, body + 4, NULL, 0, expected) || CRYPTO_memcmp(expected, p + body + 4, TAG) != 0)
        return COPENSSL_SRTP_AUTH_FAIL;
    if ((e_index & 0x80000000u) && !crypt(&ctx->rtcp, p + 8, body - 8, s->ssrc, index)) return COPENSSL_SRTP_BAD_PACKET;
    if (!s->rtcp_seen || index > s->rtcp_highest) {
        uint32_t ahead = s->rtcp_seen ? index - s->rtcp_highest : 0;
        s->rtcp_window = ahead >= 64 ? 1 : (s->rtcp_window << ahead) | 1;
        s->rtcp_highest = index;
        s->rtcp_seen = 1;
    } else {
        s->rtcp_window |= (uint64_t)1 << (s->rtcp_highest - index);
    }
    return body;
}
