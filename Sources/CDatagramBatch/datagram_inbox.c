#define _GNU_SOURCE
#include "datagram_inbox.h"
#include "datagram_slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Room for the one control message a media socket asks for: the kernel's receive time.
#define CONTROL_SIZE CMSG_SPACE(sizeof(struct timespec))

struct datagram_inbox {
    struct datagram_slots slots;
    unsigned char *controls;
};

datagram_inbox *datagram_inbox_create(unsigned capacity, unsigned slot_size) {
    datagram_inbox *inbox = calloc(1, sizeof *inbox);
    if (!inbox) return NULL;
    if (!datagram_slots_init(&inbox->slots, capacity, slot_size)) {
        free(inbox);
        return NULL;
    }
    inbox->controls = calloc(capacity, CONTROL_SIZE);
    if (!inbox->controls) {
        datagram_slots_free(&inbox->slots);
        free(inbox);
        return NULL;
    }
    for (unsigned i = 0; i < capacity; i++) {
        inbox->slots.messages[i].msg_hdr.msg_control = inbox->controls + (size_t)i * CONTROL_SIZE;
    }
    return inbox;
}

void datagram_inbox_destroy(datagram_inbox *inbox) {
    if (!inbox) return;
    datagram_slots_free(&inbox->slots);
    free(inbox->controls);
    free(inbox);
}

int datagram_inbox_receive(datagram_inbox *inbox, int fd, unsigned limit) {
    struct datagram_slots *slots = &inbox->slots;
    if (limit == 0 || limit > slots->capacity) limit = slots->capacity;
    for (unsigned i = 0; i < limit; i++) {
        // The kernel writes back each message's address length, flags and length: set them again.
        slots->messages[i].msg_hdr.msg_namelen = sizeof slots->addresses[i];
        slots->messages[i].msg_hdr.msg_flags = 0;
        slots->messages[i].msg_hdr.msg_controllen = CONTROL_SIZE;
        slots->messages[i].msg_len = 0;
    }
    int count;
    do {
        count = recvmmsg(fd, slots->messages, limit, MSG_DONTWAIT, NULL);
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

int64_t datagram_inbox_received_at(const datagram_inbox *inbox, unsigned index) {
    // CMSG_NXTHDR takes a header it does not write, declared without const.
    struct msghdr *header = &inbox->slots.messages[index].msg_hdr;
    if (header->msg_flags & MSG_CTRUNC) return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c; c = CMSG_NXTHDR(header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
        }
    }
    return 0;
}

int datagram_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

int64_t datagram_realtime_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
