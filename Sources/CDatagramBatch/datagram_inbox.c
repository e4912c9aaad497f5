#define _GNU_SOURCE
#include "datagram_inbox.h"
#include "datagram_slots.h"

#include <errno.h>
#include <stdlib.h>

struct datagram_inbox {
    struct datagram_slots slots;
};

datagram_inbox *datagram_inbox_create(unsigned capacity, unsigned slot_size) {
    datagram_inbox *inbox = calloc(1, sizeof *inbox);
    if (!inbox) return NULL;
    if (!datagram_slots_init(&inbox->slots, capacity, slot_size)) {
        free(inbox);
        return NULL;
    }
    return inbox;
}

void datagram_inbox_destroy(datagram_inbox *inbox) {
    if (!inbox) return;
    datagram_slots_free(&inbox->slots);
    free(inbox);
}

int datagram_inbox_receive(datagram_inbox *inbox, int fd) {
    struct datagram_slots *slots = &inbox->slots;
    for (unsigned i = 0; i < slots->capacity; i++) {
        // The kernel writes back each message's address length, flags and length: set them again.
        slots->messages[i].msg_hdr.msg_namelen = sizeof slots->addresses[i];
        slots->messages[i].msg_hdr.msg_flags = 0;
        slots->messages[i].msg_len = 0;
    }
    int count;
    do {
        count = recvmmsg(fd, slots->messages, slots->capacity, MSG_DONTWAIT, NULL);
    } while (count < 0 && errno == EINTR);
    if (count < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    return count;
}

const unsigned char *datagram_inbox_bytes(const datagram_inbox *inbox, unsigned index, size_t *length) {
    const struct mmsghdr *message = &inbox->slots.messages[index];
    *length = (message->msg_hdr.msg_flags & MSG_TRUNC) ? 0 : message->msg_len;
    return inbox->slots.vectors[index].iov_base;
}

const struct sockaddr *datagram_inbox_source(const datagram_inbox *inbox, unsigned index, socklen_t *length) {
    *length = inbox->slots.messages[index].msg_hdr.msg_namelen;
    return (const struct sockaddr *)&inbox->slots.addresses[index];
}
