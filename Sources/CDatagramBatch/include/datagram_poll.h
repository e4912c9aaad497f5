// epoll(7) for Swift code that waits on many datagram sockets itself (Glibc's Swift module
// leaves sys/epoll.h out).
#ifndef DATAGRAM_POLL_H
#define DATAGRAM_POLL_H

#include <sys/epoll.h>

#endif
