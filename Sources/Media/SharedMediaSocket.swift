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
/// The loop reads the socket itself (`MediaLoop.watch`: `recvmmsg` into preallocated slots) and
/// matches sources as bytes (`DatagramSource`); the gateway writes to it itself too
/// (`OutgoingDatagrams`). What the legs send during a batch (a phase of the loop's media clock, or
/// the datagrams one wake-up read) is copied into send slots as it comes and leaves when the batch
/// ends, in `sendmmsg` calls of up to 256 datagrams instead of one system call each. Outside a
/// batch a send leaves at once. A datagram the kernel refuses (an unreachable network, a
/// firewall) is dropped and counted, and the socket goes on.
///
/// `@unchecked Sendable`: its tables, batch state and descriptor are read and written only on its
/// loop (legs register and send there; the loop hands it datagrams there).
final class SharedMediaSocket: DatagramReceiver, @unchecked Sendable {
    let port: Int
    let eventLoop: any EventLoop
    private let statistics: MediaStatistics
    private var legsByUfrag: [String: WebRTCLeg] = [:]
    private var legsByAddress: [DatagramSource: WebRTCLeg] = [:]
    private var addressesOfLeg: [ObjectIdentifier: [DatagramSource]] = [:]
    /// Batches begun and not ended; written datagrams wait for the flush while this is above 0.
    private var batches = 0
    /// The socket, written directly; the loop reads it and closes it when it stops.
    private let descriptor: CInt
    private let outgoing: OutgoingDatagrams
    /// The most datagrams read at one wake-up: the loop's other sockets and tasks get their
    /// turn, and what is left wakes the loop again (its epoll is level-triggered).
    static let drainLimit = 256
    /// Whether the datagrams of a wake-up are being handed over (their batch ends at `readComplete`).
    private var reading = false

    /// A socket over `descriptor` (bound to `port`), which `loop` reads from now on; on the loop.
    init(loop: MediaLoop, descriptor: CInt, port: Int, statistics: MediaStatistics) throws {
        loop.preconditionInEventLoop()
        self.port = port
        self.eventLoop = loop
        self.statistics = statistics
        self.descriptor = descriptor
        outgoing = OutgoingDatagrams(statistics: statistics)
        do {
            _ = try loop.watch(descriptor, receiver: self, readLimit: Self.drainLimit)
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// Hands one datagram the loop read to its leg; on the loop.
    func receive(_ bytes: UnsafeRawBufferPointer, from source: DatagramSource?) {
        if !reading {
            reading = true
            beginBatch()
        }
        let kind = PacketKind.classify(bytes)
        if kind == .unknown {
            statistics.droppedMalformed.add(1, ordering: .relaxed)
            return
        }
        guard let source else {
            statistics.droppedUnlatched.add(1, ordering: .relaxed)
            return
        }
        if kind == .stun {
            // Every request names its leg; the address of a peer that moved on to another call
            // (a reused port) must not route this one to the old leg.
            guard let ufrag = Self.localUfrag(of: bytes), let leg = legsByUfrag[ufrag] else {
                statistics.stunRefused.add(1, ordering: .relaxed)
                return
            }
            return leg.receive(bytes, from: source, address: nil)
        }
        guard let leg = legsByAddress[source] else {
            statistics.droppedUnlatched.add(1, ordering: .relaxed)
            return
        }
        leg.receive(bytes, from: source, address: nil)
    }

    /// The datagrams of one wake-up were handed over: what the legs sent meanwhile leaves.
    func readComplete() {
        guard reading else { return }
        reading = false
        endBatch()
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

    /// The USERNAME of a STUN request up to its colon: the ufrag of the receiving side.
    static func localUfrag(of data: UnsafeRawBufferPointer) -> String? {
        guard let message = try? STUNMessage.parse(Array(data)), let username = message.username,
            let colon = username.firstIndex(of: ":")
        else { return nil }
        return String(username[..<colon])
    }
}
