// Preallocated slots that recvmmsg(2) reads UDP datagrams into, with their source addresses, for
// a socket the gateway reads itself. Nothing is allocated per datagram; the caller owns the
// socket and calls everything from one thread.
#ifndef DATAGRAM_INBOX_H
#define DATAGRAM_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct datagram_inbox datagram_inbox;

/// An inbox of `capacity` slots of `slot_size` bytes (NULL when memory is short).
datagram_inbox *datagram_inbox_create(unsigned capacity, unsigned slot_size);
void datagram_inbox_destroy(datagram_inbox *inbox);

/// Reads what is waiting on the non-blocking socket `fd`, up to one datagram per slot and at most
/// `limit` (0: as many as there are slots; a socket that has one datagram per wake-up is read
/// cheapest with 1, as recvmmsg otherwise looks for a second). Returns how many were read (0: none
/// waiting), or -1 with errno set on another error. What an earlier call read is overwritten.
int datagram_inbox_receive(datagram_inbox *inbox, int fd, unsigned limit);

/// Datagram `index` of the last receive: its bytes and length (0 for a datagram larger than a
/// slot, which is cut short and must be dropped), its source address and that address's length.
const unsigned char *datagram_inbox_bytes(const datagram_inbox *inbox, unsigned index, size_t *length);
const struct sockaddr *datagram_inbox_source(const datagram_inbox *inbox, unsigned index, socklen_t *length);

/// When the kernel received datagram `index` of the last receive, in nanoseconds of
/// CLOCK_REALTIME, if its socket asked for it (`datagram_receive_timestamps`); else 0.
int64_t datagram_inbox_received_at(const datagram_inbox *inbox, unsigned index);

/// Asks the kernel to stamp each datagram the socket `fd` receives with the time it arrived
/// (SO_TIMESTAMPNS). Returns 0, or -1 with errno set.
int datagram_receive_timestamps(int fd);

/// CLOCK_REALTIME now, in nanoseconds: the clock of the receive timestamps.
int64_t datagram_realtime_now(void);

#endif
