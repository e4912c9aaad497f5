#define _GNU_SOURCE
#include "datagram_batch.h"
#include "datagram_slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct datagram_batch {
    struct datagram_slots slots;
    unsigned count;
};

datagram_batch *datagram_batch_create(unsigned capacity, unsigned slot_size) {
    datagram_batch *batch = calloc(1, sizeof *batch);
    if (!batch) return NULL;
    if (!datagram_slots_init(&batch->slots, capacity, slot_size)) {
        free(batch);
        return NULL;
    }
    return batch;
}

void datagram_batch_destroy(datagram_batch *batch) {
    if (!batch) return;
    datagram_slots_free(&batch->slots);
    free(batch);
}

int datagram_batch_add(datagram_batch *batch, const void *bytes, size_t length, const struct sockaddr *address,
                       socklen_t address_length) {
    struct datagram_slots *slots = &batch->slots;
    if (length > slots->slot_size || address_length > sizeof(struct sockaddr_storage)) return -1;
    if (batch->count == slots->capacity) return 0;
    unsigned i = batch->count++;
    memcpy(slots->vectors[i].iov_base, bytes, length);
    slots->vectors[i].iov_len = length;
    memcpy(&slots->addresses[i], address, address_length);
    slots->messages[i].msg_hdr.msg_namelen = address_length;
    return 1;
}

unsigned datagram_batch_count(const datagram_batch *batch) { return batch->count; }

datagram_batch_result datagram_batch_flush(datagram_batch *batch, int fd) {
    datagram_batch_result result = {0, 0, 0};
    unsigned next = 0;
    while (next < batch->count) {
        int sent = sendmmsg(fd, batch->slots.messages + next, batch->count - next, MSG_DONTWAIT);
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
