import CDatagramBatch
import Glibc
import NIOCore

/// What a media loop's socket hands its datagrams to, on the loop.
protocol DatagramReceiver: AnyObject {
    /// One datagram and where it came from: nil for an address family other than IPv4 and IPv6.
    /// A datagram larger than a read slot (`MediaEngine.largestDatagram`) comes empty. The bytes
    /// are the loop's again on return.
    func receive(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?)
    /// The datagrams one wake-up found were all handed over.
    func readComplete()
}

extension MediaLoop {
    /// A socket the loop watches, as `watch` returned it.
    struct SocketToken: Equatable, Sendable {
        fileprivate let slot: Int
        fileprivate let generation: UInt32
    }

    /// The loop's watched sockets: the slot of each is in its epoll data with the slot's
    /// generation, so that an event for a socket unwatched meanwhile (its number perhaps reused)
    /// is told apart.
    struct WatchedSockets {
        struct Socket {
            let descriptor: CInt
            let receiver: any DatagramReceiver
            let readLimit: Int
        }
        fileprivate var slots: [Socket?] = []
        fileprivate var generations: [UInt32] = []
        fileprivate var free: [Int] = []
        /// Sockets watched now.
        var count: Int { slots.count - free.count }
    }

    /// Reads the non-blocking UDP socket `descriptor` whenever datagrams wait on it and hands
    /// them to `receiver`; on the loop. A wake-up reads at most `readLimit` datagrams (each
    /// `recvmmsg` up to `readSlots`), and what is left wakes the loop again. The loop owns the
    /// descriptor from now on: `unwatch` closes it.
    func watch(_ descriptor: CInt, receiver: any DatagramReceiver, readLimit: Int = MediaLoop.readSlots) throws
        -> SocketToken
    {
        preconditionInEventLoop()
        let slot: Int
        if let reused = sockets.free.popLast() {
            slot = reused
        } else {
            slot = sockets.slots.count
            sockets.slots.append(nil)
            sockets.generations.append(0)
        }
        let token = SocketToken(slot: slot, generation: sockets.generations[slot])
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64(token.generation) << 32 | UInt64(slot)
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else {
            let code = errno
            sockets.free.append(slot)
            throw IOError(errnoCode: code, reason: "epoll_ctl")
        }
        sockets.slots[slot] = .init(descriptor: descriptor, receiver: receiver, readLimit: max(1, readLimit))
        return token
    }

    /// Stops reading the socket of `token` and closes it; on the loop. Nothing more reaches its
    /// receiver, not even what the current wake-up read after the datagram being handed over.
    func unwatch(_ token: SocketToken) {
        preconditionInEventLoop()
        guard token.slot < sockets.slots.count, sockets.generations[token.slot] == token.generation,
            let socket = sockets.slots[token.slot]
        else { return }
        epoll_ctl(epoll, EPOLL_CTL_DEL, socket.descriptor, nil)
        Glibc.close(socket.descriptor)
        sockets.slots[token.slot] = nil
        sockets.generations[token.slot] &+= 1
        sockets.free.append(token.slot)
    }

    /// Unwatches and closes every socket: the loop stops.
    func unwatchAll() {
        for slot in sockets.slots.indices where sockets.slots[slot] != nil {
            unwatch(SocketToken(slot: slot, generation: sockets.generations[slot]))
        }
    }

    /// Reads the socket that epoll reported with `data` and hands its datagrams over; then counts
    /// how long each waited, now that what it led to was sent.
    func readable(_ data: UInt64) {
        let token = SocketToken(slot: Int(data & 0xffff_ffff), generation: UInt32(truncatingIfNeeded: data >> 32))
        guard token.slot < sockets.slots.count, sockets.generations[token.slot] == token.generation,
            let socket = sockets.slots[token.slot]
        else { return }
        read(socket, token)
        socket.receiver.readComplete()
        if arrivalCount > 0 { countDelays() }
    }

    private func read(_ socket: WatchedSockets.Socket, _ token: SocketToken) {
        var read = 0
        while read < socket.readLimit {
            // At most what the limit leaves: a trunk leg's socket (limit 1) is read by a recvmmsg
            // that does not look for a second datagram. An error (a pending ICMP error, memory)
            // ends this wake-up's reads; epoll is level-triggered, so what is still waiting
            // wakes the loop again.
            let asked = min(Self.readSlots, socket.readLimit - read)
            let count = Int(datagram_inbox_receive(inbox, socket.descriptor, UInt32(asked)))
            guard count > 0 else { return }
            read += count
            for index in 0..<count {
                var length = 0
                var sourceLength = socklen_t(0)
                let bytes = datagram_inbox_bytes(inbox, UInt32(index), &length)
                let address = datagram_inbox_source(inbox, UInt32(index), &sourceLength)
                let source = address.flatMap { DatagramSource($0, length: Int(sourceLength)) }
                if relayDelay != nil, arrivalCount < arrivals.count {
                    let arrival = datagram_inbox_received_at(inbox, UInt32(index))
                    if arrival != 0 {
                        arrivals[arrivalCount] = arrival
                        arrivalCount += 1
                    }
                }
                socket.receiver.receive(
                    UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : length), from: source)
                // The receiver may have unwatched its socket (its leg closed).
                guard sockets.generations[token.slot] == token.generation else { return }
            }
            // A short read emptied the socket: no need for a call that finds nothing.
            if count < asked { return }
        }
    }

    /// Adds the delays of the datagrams just handled to `relayDelay`, a bucket at a time.
    private func countDelays() {
        defer { arrivalCount = 0 }
        guard let relayDelay else { return }
        let now = datagram_realtime_now()
        var total = 0
        for index in 0..<arrivalCount {
            let delay = max(0, now - arrivals[index])
            total += Int(delay)
            delayCounts[RelayDelayHistogram.bucket(of: delay)] += 1
        }
        for bucket in delayCounts.indices where delayCounts[bucket] > 0 {
            relayDelay.add(delayCounts[bucket], toBucket: bucket)
            delayCounts[bucket] = 0
        }
        relayDelay.addTotal(microseconds: (total + 500) / 1000)
    }
}
