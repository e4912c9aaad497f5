/* What a DTLS 1.2 association keeps once OpenSSL's session is released (DTLSEndpoint.retire):
   the epoch-1 record keys of an AES-GCM suite, and one record sealed or opened with them, so that
   close_notify still goes both ways. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include "copenssl.h"

enum { HEADER = 13, EXPLICIT_NONCE = 8, TAG = 16 };

int copenssl_dtls_record_keys(SSL *ssl, unsigned char *out, size_t cap) {
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    if (!cipher) return -1;
    int nid = SSL_CIPHER_get_cipher_nid(cipher);
    int key_len = nid == NID_aes_128_gcm ? 16 : nid == NID_aes_256_gcm ? 32 : 0;
    if (key_len == 0) return 0;
    const EVP_MD *md = SSL_CIPHER_get_handshake_digest(cipher);
    SSL_SESSION *session = SSL_get_session(ssl);
    unsigned char master[48], seed[13 + 64];
    size_t master_len = session ? SSL_SESSION_get_master_key(session, master, sizeof master) : 0;
    size_t need = 2 * (size_t)key_len + 8;
    if (!md || master_len != sizeof master || cap < need) return -1;
    /* key_block = PRF(master_secret, "key expansion", server_random + client_random) (RFC 5246 §6.3) */
    memcpy(seed, "key expansion", 13);
    if (SSL_get_server_random(ssl, seed + 13, 32) != 32 || SSL_get_client_random(ssl, seed + 45, 32) != 32) {
        OPENSSL_cleanse(master, sizeof master);
        return -1;
    }
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, master_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    int ok = kctx && EVP_KDF_derive(kctx, out, need, params) == 1;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    OPENSSL_cleanse(master, sizeof master);
    return ok ? key_len : -1;
}

static const EVP_CIPHER *gcm(int key_len) {
    return key_len == 16 ? EVP_aes_128_gcm() : key_len == 32 ? EVP_aes_256_gcm() : NULL;
}

/* The additional data of a record (RFC 5246 §6.2.3.3 with DTLS's epoch and sequence number):
   epoch ‖ sequence (8), type, version (2), the plaintext's length (2). */
static void additional_data(unsigned char aad[13], const unsigned char *header, int plain_len) {
    memcpy(aad, header + 3, 8);
    aad[8] = header[0];
    aad[9] = header[1];
    aad[10] = header[2];
    aad[11] = (unsigned char)(plain_len >> 8);
    aad[12] = (unsigned char)plain_len;
}

int copenssl_dtls_gcm_open(const unsigned char *key, int key_len, const unsigned char *salt,
                           const unsigned char *record, int len, unsigned char *out, int cap) {
    const EVP_CIPHER *type = gcm(key_len);
    if (!type || len < HEADER + EXPLICIT_NONCE + TAG) return -1;
    int fragment = (record[11] << 8) | record[12];
    if (fragment != len - HEADER || fragment < EXPLICIT_NONCE + TAG) return -1;
    int plain_len = fragment - EXPLICIT_NONCE - TAG;
    if (plain_len > cap) return -1;
    unsigned char nonce[12], aad[13];
    memcpy(nonce, salt, 4);
    memcpy(nonce + 4, record + HEADER, EXPLICIT_NONCE);
    additional_data(aad, record, plain_len);
    const unsigned char *cipher_text = record + HEADER + EXPLICIT_NONCE;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, last = 0;
    int ok = c && EVP_DecryptInit_ex(c, type, NULL, key, nonce) == 1 &&
             EVP_DecryptUpdate(c, NULL, &n, aad, sizeof aad) == 1 &&
             EVP_DecryptUpdate(c, out, &n, cipher_text, plain_len) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(cipher_text + plain_len)) == 1 &&
             EVP_DecryptFinal_ex(c, out + n, &last) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? plain_len : -1;
}

int copenssl_dtls_gcm_seal(const unsigned char *key, int key_len, const unsigned char *salt,
                           unsigned char type_byte, uint16_t epoch, uint64_t sequence,
                           const unsigned char *plain, int plain_len, unsigned char *out, int cap) {
    const EVP_CIPHER *type = gcm(key_len);
    int total = HEADER + EXPLICIT_NONCE + plain_len + TAG;
    if (!type || plain_len < 0 || cap < total || sequence >> 48) return -1;
    int fragment = total - HEADER;
    out[0] = type_byte;
    out[1] = 0xfe; /* DTLS 1.2 */
    out[2] = 0xfd;
    out[3] = (unsigned char)(epoch >> 8);
    out[4] = (unsigned char)epoch;
    for (int i = 0; i < 6; i++) out[5 + i] = (unsigned char)(sequence >> (40 - 8 * i));
    out[11] = (unsigned char)(fragment >> 8);
    out[12] = (unsigned char)fragment;
    /* The explicit nonce is the record's epoch and sequence number (RFC 5288 §3 allows it): unique
       for the key as long as the sequence number is. */
    memcpy(out + HEADER, out + 3, EXPLICIT_NONCE);
    unsigned char nonce[12], aad[13];
    memcpy(nonce, salt, 4);
    memcpy(nonce + 4, out + HEADER, EXPLICIT_NONCE);
    additional_data(aad, out, plain_len);
    unsigned char *cipher_text = out + HEADER + EXPLICIT_NONCE;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, last = 0;
    int ok = c && EVP_EncryptInit_ex(c, type, NULL, key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &n, aad, sizeof aad) == 1 &&
             EVP_EncryptUpdate(c, cipher_text, &n, plain, plain_len) == 1 &&
             EVP_EncryptFinal_ex(c, cipher_text + n, &last) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, cipher_text + plain_len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? total : -1;
}
