/// Packets held back to be handed on in the order of their place on a timeline, as a receiver's
/// jitter buffer hands them to its decoder: an Opus decoder predicts each frame from the one
/// before, and one fed a packet ahead of the packet it overtook blares for tens of milliseconds.
/// A packet waits until `depth` newer ones have come (or its owner releases it, its audio being
/// due); one placed at or before the last released is late, one at a held place a repeat.
///
/// A value type with its slots made up front: nothing is allocated per packet once each slot has
/// held a packet as long as the longest. Not thread-safe: its owner's loop uses it.
struct PacketReorderWindow {
    /// What became of a packet offered to `hold`.
    enum Outcome: Equatable {
        /// Held, or already handed on (it was the oldest of more than `depth`).
        case accepted
        /// At or before a place already released: too late to be handed on in order.
        case late
        /// At a place a held packet has.
        case repeated
    }

    /// How many packets are held before the oldest must go.
    let depth: Int
    /// The held packets, oldest first: where each goes and which `payloads` slot holds it.
    private var held: [(position: Int, slot: Int)] = []
    private var payloads: [[UInt8]]
    private var freeSlots: [Int]
    /// Where the last released packet went.
    private(set) var lastReleased: Int?

    /// A window that holds up to `depth` packets (10 is 200 ms of 20 ms packets).
    init(depth: Int) {
        precondition(depth >= 0, "a window holds no packets or some")
        self.depth = depth
        payloads = Array(repeating: [], count: depth + 1)
        freeSlots = Array(0...depth)
        held.reserveCapacity(depth + 1)
    }

    /// The place of the oldest held packet.
    var oldestPosition: Int? { held.first?.position }

    /// Holds `payload`, to go at `position`; when more than `depth` are then held, the oldest
    /// goes to `release` first.
    mutating func hold(
        _ payload: UnsafeRawBufferPointer, at position: Int,
        release: (_ position: Int, _ payload: UnsafeRawBufferPointer) -> Void
    ) -> Outcome {
        if let lastReleased, position <= lastReleased { return .late }
        let index = held.firstIndex { $0.position >= position } ?? held.endIndex
        if index < held.endIndex, held[index].position == position { return .repeated }
        let slot = freeSlots.removeLast()
        payloads[slot].removeAll(keepingCapacity: true)
        payloads[slot].append(contentsOf: payload)
        held.insert((position, slot), at: index)
        if held.count > depth { releaseOldest(release) }
        return .accepted
    }

    /// Hands the oldest held packet to `release` and forgets it; nothing when none is held.
    mutating func releaseOldest(_ release: (_ position: Int, _ payload: UnsafeRawBufferPointer) -> Void) {
        guard !held.isEmpty else { return }
        let (position, slot) = held.removeFirst()
        freeSlots.append(slot)
        lastReleased = position
        payloads[slot].withUnsafeBytes { release(position, $0) }
    }
}
