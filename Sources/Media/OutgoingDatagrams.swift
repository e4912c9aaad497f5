import CDatagramBatch
import Glibc
import NIOCore

/// What a shared media socket sends, written to its socket by the gateway itself rather than
/// through NIO's write queue: each datagram is copied into one of `slots` preallocated slots as
/// it is sent (so the sender's buffer is free again at once, and nothing is allocated per
/// datagram), and the batch leaves in `sendmmsg` calls of up to `slots` datagrams when it is
/// flushed or full. Media is not queued behind a full socket buffer: what does not fit then is
/// dropped and counted, as is a datagram the kernel refuses (an unreachable network, a firewall),
/// without closing the socket.
///
/// `@unchecked Sendable`: used only on its socket's event loop.
final class OutgoingDatagrams: @unchecked Sendable {
    static let slots: UInt32 = 256
    /// The largest datagram a slot holds: what the media sockets read fits.
    static let slotSize = UInt32(MediaEngine.largestDatagram)
    private let batch: OpaquePointer
    private let statistics: MediaStatistics

    init(statistics: MediaStatistics) {
        guard let batch = datagram_batch_create(Self.slots, Self.slotSize) else {
            fatalError("out of memory for a media socket's send slots")
        }
        self.batch = batch
        self.statistics = statistics
    }

    deinit { datagram_batch_destroy(batch) }

    /// Datagrams queued since the last flush.
    var count: Int { Int(datagram_batch_count(batch)) }

    /// Queues `bytes` for `address`; a full batch is flushed to `descriptor` first, and a datagram
    /// larger than a slot leaves at once after what is queued.
    func add(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress, descriptor: CInt) {
        let queued = address.withSockAddr { socketAddress, length in
            var added = datagram_batch_add(batch, bytes.baseAddress, bytes.count, socketAddress, socklen_t(length))
            if added == 0 {
                flush(to: descriptor)
                added = datagram_batch_add(batch, bytes.baseAddress, bytes.count, socketAddress, socklen_t(length))
            }
            return added == 1
        }
        if !queued { sendAlone(bytes, to: address, descriptor: descriptor) }
    }

    /// Sends what is queued to `descriptor` (the batch is emptied whatever happens; a closed
    /// socket's descriptor is -1, and its datagrams are dropped).
    func flush(to descriptor: CInt) {
        guard datagram_batch_count(batch) > 0 else { return }
        guard descriptor >= 0 else {
            statistics.sendsRefused.add(count, ordering: .relaxed)
            return datagram_batch_discard(batch)
        }
        let result = datagram_batch_flush(batch, descriptor)
        if result.dropped_full > 0 { statistics.sendsDroppedFull.add(Int(result.dropped_full), ordering: .relaxed) }
        if result.dropped_refused > 0 {
            statistics.sendsRefused.add(Int(result.dropped_refused), ordering: .relaxed)
        }
    }

    private func sendAlone(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress, descriptor: CInt) {
        flush(to: descriptor)
        Self.sendNow(bytes, to: address, descriptor: descriptor, statistics: statistics)
    }

    /// Sends one datagram at once with `sendto` (a trunk leg's RTP, or a datagram larger than a
    /// slot), counting it as `flush` does when it is not sent.
    static func sendNow(
        _ bytes: UnsafeRawBufferPointer, to address: SocketAddress, descriptor: CInt, statistics: MediaStatistics
    ) {
        guard descriptor >= 0 else {
            statistics.sendsRefused.add(1, ordering: .relaxed)
            return
        }
        let sent = address.withSockAddr { socketAddress, length in
            sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), socketAddress, socklen_t(length))
        }
        guard sent < 0 else { return }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS {
            statistics.sendsDroppedFull.add(1, ordering: .relaxed)
        } else {
            statistics.sendsRefused.add(1, ordering: .relaxed)
        }
    }
}
