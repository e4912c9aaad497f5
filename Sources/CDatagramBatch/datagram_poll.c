#define _GNU_SOURCE
#include "datagram_poll.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <stdatomic.h>
#include <time.h>

int datagram_poll_wait(int epfd, struct epoll_event *events, int capacity, int64_t timeout_ns) {
    static atomic_int without_pwait2;  // the media loops share what they learned of the kernel
    int count;
    if (!without_pwait2) {
        struct timespec timeout = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
        count = epoll_pwait2(epfd, events, capacity, timeout_ns < 0 ? NULL : &timeout, NULL);
        if (count >= 0 || errno != ENOSYS) return count < 0 && errno == EINTR ? 0 : count;
        without_pwait2 = 1;
    }
    int milliseconds = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    count = epoll_wait(epfd, events, capacity, milliseconds);
    return count < 0 && errno == EINTR ? 0 : count;
}

int datagram_poll_wake_create(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void datagram_poll_name_thread(const char *name) {
    char short_name[16];
    strncpy(short_name, name, sizeof short_name - 1);
    short_name[sizeof short_name - 1] = 0;
    pthread_setname_np(pthread_self(), short_name);
}
