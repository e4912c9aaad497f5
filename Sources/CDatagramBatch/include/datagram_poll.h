// epoll(7) for Swift code that waits on many datagram sockets itself (Glibc's Swift module
// leaves sys/epoll.h out), and the wait of the gateway's media event loops.
#ifndef DATAGRAM_POLL_H
#define DATAGRAM_POLL_H

#include <stdint.h>
#include <sys/epoll.h>

/// Waits on the epoll instance `epfd` for at most `timeout_ns` nanoseconds (negative: without
/// limit; 0: not at all), as epoll_pwait2(2), which takes a timeout finer than epoll_wait's
/// milliseconds; where the kernel lacks it (before Linux 5.11), epoll_wait with the timeout
/// rounded up to a millisecond. Returns the events written (0 on EINTR), or -1 with errno set.
int datagram_poll_wait(int epfd, struct epoll_event *events, int capacity, int64_t timeout_ns);

/// A non-blocking eventfd(2) that wakes a media loop from another thread, or -1 with errno set.
int datagram_poll_wake_create(void);

/// Names the calling thread (as `top` and `perf` show it); longer names are cut to 15 bytes.
void datagram_poll_name_thread(const char *name);

#endif
