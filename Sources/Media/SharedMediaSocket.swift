import CDatagramBatch
import Glibc
import NIOCore
import RTP
import STUN

/// The one UDP socket that every WebRTC leg of a media event loop shares, as an SFU's single
/// media port: the legs all announce its port, and each datagram goes to the leg it belongs to.
/// A STUN request names its leg by the first part of its USERNAME (the leg's own ICE ufrag);
/// once the leg's ICE agent has accepted a request (its MESSAGE-INTEGRITY checked), the request's
/// source address is the leg's, and DTLS, RTP and RTCP from it go to that leg, which checks it
/// again against the address ICE selected. Datagrams from any other address are dropped.
///
/// NIO watches the socket and reads the first datagram of each wake-up; the gateway reads the rest
/// itself (`recvmmsg` into preallocated slots, `datagram_inbox`), and matches their sources as
/// bytes (`DatagramSource`), since NIO builds a boxed address and its text for every datagram it
/// reads. It writes to the socket itself too (`OutgoingDatagrams`). What the legs send during a
/// batch (a phase of the loop's media clock, or a burst of datagrams read from the socket) is
/// copied into send slots as it comes and leaves when the batch ends, in `sendmmsg` calls of up
/// to 256 datagrams instead of one system call each. Outside a batch a send leaves at once. A
/// datagram the kernel refuses (an unreachable network, a firewall) is dropped and counted and
/// the socket stays open. Should the channel close all the same (a read error), the
/// engine binds the port again and hands the new channel to `replace`, so the legs keep their port.
///
/// `@unchecked Sendable`: its tables, batch state, channel and descriptor are read and written
/// only on its event loop (legs register and send there; `receive` is the channel's handler;
/// `replace` and the close callback run there).
final class SharedMediaSocket: @unchecked Sendable {
    private(set) var channel: any Channel
    let port: Int
    let eventLoop: any EventLoop
    private let statistics: MediaStatistics
    private var legsByUfrag: [String: WebRTCLeg] = [:]
    private var legsByAddress: [DatagramSource: WebRTCLeg] = [:]
    private var addressesOfLeg: [ObjectIdentifier: [DatagramSource]] = [:]
    /// Batches begun and not ended; written datagrams wait for the flush while this is above 0.
    private var batches = 0
    /// The channel's socket, written directly; -1 once the channel closed (its number may be reused).
    private var descriptor: CInt = -1
    private let outgoing: OutgoingDatagrams
    /// What the gateway reads itself after NIO's read of a wake-up.
    private let inbox: OpaquePointer
    /// The most datagrams read after NIO's at one wake-up: the loop's other sockets and tasks
    /// get their turn, and what is left wakes the loop again (its epoll is level-triggered).
    static let drainLimit = 256
    /// Whether a burst of reads is going on (its batch ends at `readComplete`).
    private var reading = false

    /// A socket over `channel`, whose socket (`descriptor`) the engine made; on the loop.
    init(channel: any Channel, descriptor: CInt, port: Int, statistics: MediaStatistics) {
        channel.eventLoop.preconditionInEventLoop()
        self.channel = channel
        self.port = port
        self.eventLoop = channel.eventLoop
        self.statistics = statistics
        outgoing = OutgoingDatagrams(statistics: statistics)
        guard let inbox = datagram_inbox_create(UInt32(Self.readSlots), UInt32(MediaEngine.largestDatagram)) else {
            fatalError("out of memory for a media socket's read slots")
        }
        self.inbox = inbox
        adopt(channel, descriptor: descriptor)
    }

    deinit { datagram_inbox_destroy(inbox) }

    /// Datagrams read per `recvmmsg`.
    static let readSlots = 32

    /// Carries on over `channel` (its socket `descriptor`), bound to the same port on the same
    /// loop after the previous one closed; on the loop.
    func replace(_ channel: any Channel, descriptor: CInt) {
        eventLoop.preconditionInEventLoop()
        precondition(channel.eventLoop === eventLoop, "a shared socket stays on its event loop")
        adopt(channel, descriptor: descriptor)
        // A burst of reads the close cut short ends here, or its batch would hold every send.
        if reading {
            reading = false
            endBatch()
        }
    }

    /// Hands one datagram that NIO read to its leg (the channel's handler calls this on the loop).
    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        if !reading {
            reading = true
            beginBatch()
        }
        guard let source = DatagramSource(envelope.remoteAddress) else {
            statistics.droppedUnlatched.add(1, ordering: .relaxed)
            return
        }
        envelope.data.withUnsafeReadableBytes { route($0, from: source, address: envelope.remoteAddress) }
    }

    /// Hands one datagram to the leg it belongs to.
    private func route(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource, address: SocketAddress?) {
        let kind = PacketKind.classify(bytes)
        if kind == .unknown {
            statistics.droppedMalformed.add(1, ordering: .relaxed)
            return
        }
        if kind == .stun {
            // Every request names its leg; the address of a peer that moved on to another call
            // (a reused port) must not route this one to the old leg.
            guard let ufrag = Self.localUfrag(of: bytes), let leg = legsByUfrag[ufrag] else {
                statistics.stunRefused.add(1, ordering: .relaxed)
                return
            }
            return leg.receive(bytes, from: source, address: address)
        }
        guard let leg = legsByAddress[source] else {
            statistics.droppedUnlatched.add(1, ordering: .relaxed)
            return
        }
        leg.receive(bytes, from: source, address: address)
    }

    /// Reads and routes what is waiting on the socket after NIO's read, up to `drainLimit`
    /// datagrams. A read error is left to NIO's next read, which closes the channel on one.
    private func drain() {
        var read = 0
        while read < Self.drainLimit, descriptor >= 0 {
            let count = Int(datagram_inbox_receive(inbox, descriptor))
            guard count > 0 else { return }
            read += count
            for index in 0..<count {
                var length = 0
                var sourceLength = socklen_t(0)
                let bytes = datagram_inbox_bytes(inbox, UInt32(index), &length)
                let address = datagram_inbox_source(inbox, UInt32(index), &sourceLength)
                guard let bytes, let address, length > 0 else {
                    statistics.droppedMalformed.add(1, ordering: .relaxed)
                    continue
                }
                guard let source = DatagramSource(address, length: Int(sourceLength)) else {
                    statistics.droppedUnlatched.add(1, ordering: .relaxed)
                    continue
                }
                route(UnsafeRawBufferPointer(start: bytes, count: length), from: source, address: nil)
            }
            // A short read emptied the socket: no need for a call that finds nothing.
            if count < Self.readSlots { return }
        }
    }

    /// Takes datagrams for `leg` (STUN requests naming its ufrag); on the loop.
    func register(_ leg: WebRTCLeg) {
        eventLoop.preconditionInEventLoop()
        legsByUfrag[leg.local.iceUfrag] = leg
    }

    /// `leg`'s ICE agent accepted a request from `address`: what else comes from there is the
    /// leg's. On the loop.
    func verified(_ address: DatagramSource, for leg: WebRTCLeg) {
        guard legsByAddress[address] !== leg else { return }
        if let previous = legsByAddress[address] {
            addressesOfLeg[ObjectIdentifier(previous)]?.removeAll { $0 == address }
        }
        legsByAddress[address] = leg
        addressesOfLeg[ObjectIdentifier(leg), default: []].append(address)
    }

    /// Forgets `leg` (it closed or failed); on the loop.
    func unregister(_ leg: WebRTCLeg) {
        eventLoop.preconditionInEventLoop()
        if legsByUfrag[leg.local.iceUfrag] === leg { legsByUfrag[leg.local.iceUfrag] = nil }
        for address in addressesOfLeg.removeValue(forKey: ObjectIdentifier(leg)) ?? []
        where legsByAddress[address] === leg {
            legsByAddress[address] = nil
        }
    }

    /// The burst of reads ended (the channel's handler calls this on the loop).
    func readComplete() {
        guard reading else { return }
        drain()
        reading = false
        endBatch()
    }

    /// What is sent from now on waits for `endBatch` to leave together; on the loop.
    func beginBatch() { batches += 1 }

    /// Ends a batch; the last one to end sends what was queued. On the loop.
    func endBatch() {
        batches -= 1
        guard batches == 0 else { return }
        outgoing.flush(to: descriptor)
    }

    /// Sends the readable bytes of `buffer` to `address`: with the batch when one is going on,
    /// else at once. The bytes are copied; `buffer` is the caller's again on return. On the loop.
    func send(_ buffer: ByteBuffer, to address: SocketAddress) {
        buffer.withUnsafeReadableBytes { send($0, to: address) }
    }

    /// Sends `bytes` to `address` (copied), as `send(_:to:)` does a buffer's. On the loop.
    func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) {
        outgoing.add(bytes, to: address, descriptor: descriptor)
        if batches == 0 { outgoing.flush(to: descriptor) }
    }

    private func adopt(_ channel: any Channel, descriptor: CInt) {
        self.channel = channel
        self.descriptor = descriptor
        // Held strongly until the channel closes: a weak reference would give the socket a side
        // table and send every retain of it (each datagram) down the runtime's slow path.
        channel.closeFuture.whenComplete { [self] _ in
            guard self.channel === channel else { return }
            self.descriptor = -1
        }
    }

    /// The USERNAME of a STUN request up to its colon: the ufrag of the receiving side.
    static func localUfrag(of data: UnsafeRawBufferPointer) -> String? {
        guard let message = try? STUNMessage.parse(Array(data)), let username = message.username,
            let colon = username.firstIndex(of: ":")
        else { return nil }
        return String(username[..<colon])
    }
}
