import NIOCore

/// One packet buffer that a leg or a bridge works every packet in, so that the media path
/// allocates nothing per packet.
///
/// A packet is taken out (`take`), worked on in place (unprotected, rewritten, protected), handed
/// to the socket, and put back (`put`). NIO drops its reference once the datagram is written,
/// so the next packet finds the storage uniquely referenced and is written into it without a
/// copy. (Working on NIO's read buffer instead would copy it for each packet: NIO's receive
/// pool keeps a reference to it.) Should a write still hold the storage (a full socket buffer),
/// the next packet gets new storage, as it would without this.
///
/// Used on one event loop only, like the legs and bridges that own it.
public struct ReusablePacketBuffer {
    /// Room for any audio packet with its header extensions and SRTP trailer (Opus at a browser's
    /// bitrates is under 200 bytes, G.711 172): a larger packet (video, a long RTCP compound)
    /// grows the buffer once, and the grown one is kept. Four of these per call to a phone.
    static let capacity = 512
    private var spare: ByteBuffer?

    public init() {}

    /// The buffer, emptied and holding `bytes`.
    public mutating func take(copying bytes: ByteBuffer) -> ByteBuffer {
        var buffer = takeEmpty()
        buffer.writeImmutableBuffer(bytes)
        return buffer
    }

    /// The buffer, emptied and holding `bytes`.
    public mutating func take(copying bytes: UnsafeRawBufferPointer) -> ByteBuffer {
        var buffer = takeEmpty()
        buffer.writeBytes(bytes)
        return buffer
    }

    /// Gives the buffer back for the next packet.
    public mutating func put(_ buffer: ByteBuffer) { spare = buffer }

    /// The buffer, emptied.
    public mutating func takeEmpty() -> ByteBuffer {
        guard var buffer = spare else { return ByteBufferAllocator().buffer(capacity: Self.capacity) }
        spare = nil
        buffer.clear()
        return buffer
    }
}
