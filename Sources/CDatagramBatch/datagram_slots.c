#define _GNU_SOURCE
#include "datagram_slots.h"

#include <stdlib.h>

int datagram_slots_init(struct datagram_slots *slots, unsigned capacity, unsigned slot_size) {
    if (capacity == 0 || slot_size == 0) return 0;
    slots->capacity = capacity;
    slots->slot_size = slot_size;
    slots->buffers = malloc((size_t)capacity * slot_size);
    slots->addresses = calloc(capacity, sizeof *slots->addresses);
    slots->vectors = calloc(capacity, sizeof *slots->vectors);
    slots->messages = calloc(capacity, sizeof *slots->messages);
    if (!slots->buffers || !slots->addresses || !slots->vectors || !slots->messages) {
        datagram_slots_free(slots);
        return 0;
    }
    for (unsigned i = 0; i < capacity; i++) {
        slots->vectors[i].iov_base = slots->buffers + (size_t)i * slot_size;
        slots->vectors[i].iov_len = slot_size;
        slots->messages[i].msg_hdr.msg_name = &slots->addresses[i];
        slots->messages[i].msg_hdr.msg_iov = &slots->vectors[i];
        slots->messages[i].msg_hdr.msg_iovlen = 1;
    }
    return 1;
}

void datagram_slots_free(struct datagram_slots *slots) {
    free(slots->buffers);
    free(slots->addresses);
    free(slots->vectors);
    free(slots->messages);
    slots->buffers = NULL;
    slots->addresses = NULL;
    slots->vectors = NULL;
    slots->messages = NULL;
}
