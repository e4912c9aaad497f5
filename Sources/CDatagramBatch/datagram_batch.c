#define _GNU_SOURCE
#include "datagram_batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct datagram_batch {
    unsigned capacity;
    unsigned slot_size;
    unsigned count;
    unsigned char *slots;
    struct sockaddr_storage *addresses;
    struct iovec *vectors;
    struct mmsghdr *messages;
};

datagram_batch *datagram_batch_create(unsigned capacity, unsigned slot_size) {
    if (capacity == 0 || slot_size == 0) return NULL;
    datagram_batch *batch = calloc(1, sizeof *batch);
    if (!batch) return NULL;
    batch->capacity = capacity;
    batch->slot_size = slot_size;
    batch->slots = malloc((size_t)capacity * slot_size);
    batch->addresses = calloc(capacity, sizeof *batch->addresses);
    batch->vectors = calloc(capacity, sizeof *batch->vectors);
    batch->messages = calloc(capacity, sizeof *batch->messages);
    if (!batch->slots || !batch->addresses || !batch->vectors || !batch->messages) {
        datagram_batch_destroy(batch);
        return NULL;
    }
    for (unsigned i = 0; i < capacity; i++) {
        batch->vectors[i].iov_base = batch->slots + (size_t)i * slot_size;
        batch->messages[i].msg_hdr.msg_name = &batch->addresses[i];
        batch->messages[i].msg_hdr.msg_iov = &batch->vectors[i];
        batch->messages[i].msg_hdr.msg_iovlen = 1;
    }
    return batch;
}

void datagram_batch_destroy(datagram_batch *batch) {
    if (!batch) return;
    free(batch->slots);
    free(batch->addresses);
    free(batch->vectors);
    free(batch->messages);
    free(batch);
}

int datagram_batch_add(datagram_batch *batch, const void *bytes, size_t length, const struct sockaddr *address,
                       socklen_t address_length) {
    if (length > batch->slot_size || address_length > sizeof(struct sockaddr_storage)) return -1;
    if (batch->count == batch->capacity) return 0;
    unsigned i = batch->count++;
    memcpy(batch->vectors[i].iov_base, bytes, length);
    batch->vectors[i].iov_len = length;
    memcpy(&batch->addresses[i], address, address_length);
    batch->messages[i].msg_hdr.msg_namelen = address_length;
    return 1;
}

unsigned datagram_batch_count(const datagram_batch *batch) { return batch->count; }

datagram_batch_result datagram_batch_flush(datagram_batch *batch, int fd) {
    datagram_batch_result result = {0, 0, 0};
    unsigned next = 0;
    while (next < batch->count) {
        int sent = sendmmsg(fd, batch->messages + next, batch->count - next, MSG_DONTWAIT);
        if (sent > 0) {
            result.sent += (unsigned)sent;
            next += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            result.dropped_full += batch->count - next;
            break;
        }
        // The datagram at `next` was refused (or the kernel took none without saying why).
        result.dropped_refused += 1;
        next += 1;
    }
    batch->count = 0;
    return result;
}

void datagram_batch_discard(datagram_batch *batch) { batch->count = 0; }
