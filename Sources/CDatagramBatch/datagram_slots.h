// Slots for recvmmsg(2) and sendmmsg(2): one buffer per datagram, its address, its iovec and its
// message header, all allocated at once (private to this target).
#ifndef DATAGRAM_SLOTS_H
#define DATAGRAM_SLOTS_H

#include <sys/socket.h>

struct datagram_slots {
    unsigned capacity;
    unsigned slot_size;
    unsigned char *buffers;
    struct sockaddr_storage *addresses;
    struct iovec *vectors;
    struct mmsghdr *messages;
};

/// Allocates `capacity` slots of `slot_size` bytes, each message pointing at its buffer and
/// address; returns 0 when memory is short (what was allocated is freed).
int datagram_slots_init(struct datagram_slots *slots, unsigned capacity, unsigned slot_size);
void datagram_slots_free(struct datagram_slots *slots);

#endif
