// A batch of outgoing UDP datagrams for one socket: each is copied into a preallocated slot as
// it is sent, and the batch leaves in as few sendmmsg(2) calls as its slots allow. Nothing is
// allocated per datagram; the caller owns the socket and calls everything from one thread.
#ifndef DATAGRAM_BATCH_H
#define DATAGRAM_BATCH_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct datagram_batch datagram_batch;

/// What a flush did: datagrams the kernel took, and datagrams dropped because the socket's send
/// buffer was full or because the kernel refused them.
typedef struct {
    unsigned sent;
    unsigned dropped_full;
    unsigned dropped_refused;
} datagram_batch_result;

/// A batch of `capacity` slots of `slot_size` bytes (NULL when memory is short).
datagram_batch *datagram_batch_create(unsigned capacity, unsigned slot_size);
void datagram_batch_destroy(datagram_batch *batch);

/// Copies a datagram for `address` into the next slot. Returns 1 when queued, 0 when the batch
/// is full (flush, then add again), -1 when the datagram is larger than a slot or the address
/// larger than a sockaddr_storage (send it on its own).
int datagram_batch_add(datagram_batch *batch, const void *bytes, size_t length, const struct sockaddr *address,
                       socklen_t address_length);

/// Datagrams queued and not yet flushed.
unsigned datagram_batch_count(const datagram_batch *batch);

/// Sends what is queued on the non-blocking socket `fd` and empties the batch. A datagram the
/// kernel refuses (EPERM, ENETUNREACH, EINVAL ...) is dropped and the rest still go; when the
/// send buffer is full (EAGAIN) the rest are dropped: media is not worth queueing.
datagram_batch_result datagram_batch_flush(datagram_batch *batch, int fd);

/// Empties the batch without sending.
void datagram_batch_discard(datagram_batch *batch);

#endif
