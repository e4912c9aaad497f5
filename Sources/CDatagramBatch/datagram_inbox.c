#define _GNU_SOURCE
#include "datagram_inbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct datagram_inbox {
    unsigned capacity;
    unsigned slot_size;
    unsigned char *slots;
    struct sockaddr_storage *sources;
    struct iovec *vectors;
    struct mmsghdr *messages;
};

datagram_inbox *datagram_inbox_create(unsigned capacity, unsigned slot_size) {
    if (capacity == 0 || slot_size == 0) return NULL;
    datagram_inbox *inbox = calloc(1, sizeof *inbox);
    if (!inbox) return NULL;
    inbox->capacity = capacity;
    inbox->slot_size = slot_size;
    inbox->slots = malloc((size_t)capacity * slot_size);
    inbox->sources = calloc(capacity, sizeof *inbox->sources);
    inbox->vectors = calloc(capacity, sizeof *inbox->vectors);
    inbox->messages = calloc(capacity, sizeof *inbox->messages);
    if (!inbox->slots || !inbox->sources || !inbox->vectors || !inbox->messages) {
        datagram_inbox_destroy(inbox);
        return NULL;
    }
    for (unsigned i = 0; i < capacity; i++) {
        inbox->vectors[i].iov_base = inbox->slots + (size_t)i * slot_size;
        inbox->vectors[i].iov_len = slot_size;
        inbox->messages[i].msg_hdr.msg_iov = &inbox->vectors[i];
        inbox->messages[i].msg_hdr.msg_iovlen = 1;
    }
    return inbox;
}

void datagram_inbox_destroy(datagram_inbox *inbox) {
    if (!inbox) return;
    free(inbox->slots);
    free(inbox->sources);
    free(inbox->vectors);
    free(inbox->messages);
    free(inbox);
}

int datagram_inbox_receive(datagram_inbox *inbox, int fd) {
    for (unsigned i = 0; i < inbox->capacity; i++) {
        // The kernel writes back the lengths and flags of each message: set them again.
        inbox->messages[i].msg_hdr.msg_name = &inbox->sources[i];
        inbox->messages[i].msg_hdr.msg_namelen = sizeof inbox->sources[i];
        inbox->messages[i].msg_hdr.msg_flags = 0;
        inbox->messages[i].msg_len = 0;
    }
    int count;
    do {
        count = recvmmsg(fd, inbox->messages, inbox->capacity, MSG_DONTWAIT, NULL);
    } while (count < 0 && errno == EINTR);
    if (count < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    return count;
}

const unsigned char *datagram_inbox_bytes(const datagram_inbox *inbox, unsigned index, size_t *length) {
    const struct mmsghdr *message = &inbox->messages[index];
    *length = (message->msg_hdr.msg_flags & MSG_TRUNC) ? 0 : message->msg_len;
    return inbox->vectors[index].iov_base;
}

const struct sockaddr *datagram_inbox_source(const datagram_inbox *inbox, unsigned index, socklen_t *length) {
    *length = inbox->messages[index].msg_hdr.msg_namelen;
    return (const struct sockaddr *)&inbox->sources[index];
}
